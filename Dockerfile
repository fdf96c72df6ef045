# One image for the api, worker and migrate services of docker-compose.yml.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends rpm createrepo-c dnf dnf-plugins-core \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund
COPY . .
ENV NODE_ENV=production
USER node
CMD ["node", "--import", "tsx", "api/main.ts"]

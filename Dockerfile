# One image for odcs-flow's services in docker-compose.yml (migrate, temporal-namespace, worker,
# api): compiled JavaScript (dist/, built by scripts/build.mjs with tsc), no TypeScript at run time.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY . .
RUN node scripts/build.mjs

FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends rpm createrepo-c dnf dnf-plugins-core \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
# DATA_DIR of docker-compose.yml; its composes/ and repos/ are volumes, owned by the node user.
RUN mkdir -p /srv/odcs/composes /srv/odcs/repos && chown -R node:node /srv/odcs
ENV NODE_ENV=production
USER node
CMD ["node", "dist/api/main.js"]

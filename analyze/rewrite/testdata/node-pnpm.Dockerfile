# syntax=docker/dockerfile:1
FROM node:20-bookworm
RUN corepack enable
WORKDIR /app
COPY package.json pnpm-lock.yaml ./
RUN pnpm install --frozen-lockfile
COPY . .
RUN pnpm run build
EXPOSE 8080
CMD ["node", "dist/main.js"]

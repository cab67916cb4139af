FROM localhost/node:18 AS builder
WORKDIR /app
COPY . .
RUN npm run build \
 && rm -rf /tmp/build

# stagescope: the runner holds only what the app needs at run time
FROM localhost/node:18 AS runner
WORKDIR /app
COPY --from=builder /app/package.json ./
RUN npm install --omit=dev && npm cache clean --force
COPY --from=builder /app/dist ./dist
CMD ["node", "dist/server.js"]

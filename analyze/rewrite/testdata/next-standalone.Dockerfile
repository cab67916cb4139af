FROM node:20
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
# next.config.js: output: "standalone"
RUN npm run build
EXPOSE 3000
CMD ["npm", "start"]

ARG GO=1.22
FROM golang:${GO} AS deps
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download

FROM deps AS app
COPY . .
RUN go build -o /usr/local/bin/api ./cmd/api
ENTRYPOINT ["api"]

FROM alpine:3.20 AS tools
RUN apk add --no-cache curl

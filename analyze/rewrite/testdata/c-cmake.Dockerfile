FROM debian:bookworm
RUN apt-get update && apt-get install -y cmake g++ libssl-dev
COPY . /src
WORKDIR /src
RUN cmake -B build -DCMAKE_BUILD_TYPE=Release \
 && cmake --build build \
 && cmake --install build --prefix /usr/local
ENTRYPOINT ["/usr/local/bin/server"]

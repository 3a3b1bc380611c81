// Generates a large, realistic compose file for benchmarks and the fuzzer's seed corpus.
#pragma once

#include <string>

namespace stack::bench {

// `services` services, each with ports, volumes, environment, labels, healthcheck,
// depends_on on the previous service, networks, deploy limits and an interpolated image tag.
// Without a top-level `name` (docker-compose 1.29, measured beside us, rejects it).
inline std::string generate_compose(int services, bool with_name = true) {
  std::string out = with_name ? "name: bench\n" : "";
  out += "x-common: &common\n  restart: unless-stopped\n  logging:\n"
                    "    driver: json-file\n    options: {max-size: 10m}\nservices:\n";
  for (int i = 0; i < services; ++i) {
    std::string n = std::to_string(i);
    out += "  svc" + n + ":\n    <<: *common\n";
    out += "    image: registry.local/app" + n + ":${TAG:-latest}\n";
    out += "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep 3600 & wait\"]\n";
    out += "    ports:\n      - \"127.0.0.1:" + std::to_string(20000 + i) + ":80\"\n      - \"" +
           std::to_string(30000 + i) + ":53/udp\"\n";
    out += "    volumes:\n      - data" + std::to_string(i % 10) + ":/data\n      - ./conf/" + n + ":/etc/app:ro\n";
    out += "    environment:\n      - SERVICE_INDEX=" + n + "\n      - MODE=${MODE:-prod}\n      - EMPTY\n";
    out += "    labels:\n      com.example.team: team" + std::to_string(i % 7) + "\n      com.example.index: \"" + n + "\"\n";
    out += "    healthcheck:\n      test: [\"CMD-SHELL\", \"wget -q -O - http://localhost/ || exit 1\"]\n"
           "      interval: 30s\n      timeout: 5s\n      retries: 3\n      start_period: 1m\n";
    if (i > 0) out += "    depends_on:\n      svc" + std::to_string(i - 1) + ":\n        condition: service_started\n";
    out += "    networks:\n      - net" + std::to_string(i % 5) + "\n";
    out += "    deploy:\n      resources:\n        limits:\n          cpus: \"0.5\"\n          memory: 128M\n";
  }
  out += "networks:\n";
  for (int i = 0; i < 5; ++i) out += "  net" + std::to_string(i) + ": {}\n";
  out += "volumes:\n";
  for (int i = 0; i < 10; ++i) out += "  data" + std::to_string(i) + ": {}\n";
  return out;
}

}  // namespace stack::bench

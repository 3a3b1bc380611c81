#include "engine/image/changes.h"

#include <gtest/gtest.h>

#include "cli/image_format.h"

namespace stack::image {
namespace {

TEST(Changes, DockerfileInstructions) {
  RunConfig rc;
  for (const char* c : {"CMD [\"sh\", \"-c\", \"echo hi\"]", "ENTRYPOINT /bin/run --flag", "ENV A=1 B=\"two words\"",
                        "ENV LEGACY some value", "LABEL com.x=y \"k 2\"=v", "EXPOSE 80 53/udp 8000-8001",
                        "VOLUME [\"/a\", \"/b\"]", "VOLUME /c", "USER 1000:1000", "WORKDIR /srv", "WORKDIR app",
                        "STOPSIGNAL SIGQUIT", "ONBUILD RUN true", "HEALTHCHECK --interval=5s --retries=2 CMD curl -f x"}) {
    auto r = apply_change(rc, c);
    ASSERT_TRUE(r) << c << ": " << r.error().to_string();
  }
  EXPECT_EQ(*rc.cmd, (std::vector<std::string>{"sh", "-c", "echo hi"}));
  EXPECT_EQ(*rc.entrypoint, (std::vector<std::string>{"/bin/sh", "-c", "/bin/run --flag"}));
  EXPECT_EQ(rc.env, (std::vector<std::string>{"A=1", "B=two words", "LEGACY=some value"}));
  EXPECT_EQ(rc.labels.at("k 2"), "v");
  EXPECT_EQ(rc.exposed_ports, (std::set<std::string>{"80/tcp", "53/udp", "8000/tcp", "8001/tcp"}));
  EXPECT_EQ(rc.volumes, (std::set<std::string>{"/a", "/b", "/c"}));
  EXPECT_EQ(rc.user, "1000:1000");
  EXPECT_EQ(rc.working_dir, "/srv/app");
  EXPECT_EQ(rc.stop_signal, "SIGQUIT");
  EXPECT_EQ(rc.on_build, std::vector<std::string>{"RUN true"});
  ASSERT_TRUE(rc.healthcheck);
  EXPECT_EQ(rc.healthcheck->test, (std::vector<std::string>{"CMD-SHELL", "curl -f x"}));
  EXPECT_EQ(rc.healthcheck->interval_ns, 5000000000);
  EXPECT_EQ(rc.healthcheck->retries, 2);
}

TEST(Changes, RejectsAsDocker) {
  RunConfig rc;
  EXPECT_EQ(apply_change(rc, "FROM busybox").error().message, "from is not a valid change command");
  EXPECT_EQ(apply_change(rc, "RUN true").error().message, "run is not a valid change command");
  EXPECT_FALSE(apply_change(rc, "EXPOSE 70000"));
  EXPECT_FALSE(apply_change(rc, "EXPOSE 80/xyz"));
  EXPECT_FALSE(apply_change(rc, "ENV"));
  EXPECT_FALSE(apply_change(rc, "HEALTHCHECK --interval=5 CMD true"));
  EXPECT_EQ(*parse_go_duration("1m30s"), 90000000000);
  EXPECT_EQ(*parse_go_duration("250ms"), 250000000);
}

TEST(ImageFormat, DockerUnitsAndTables) {
  using namespace stack::cli;
  EXPECT_EQ(human_size(0, 3), "0B");
  EXPECT_EQ(human_size(1982380, 3), "1.98MB");
  EXPECT_EQ(human_size(1982380, 4), "1.982MB");
  EXPECT_EQ(human_size(999, 3), "999B");
  EXPECT_EQ(human_size(1000, 3), "1kB");
  EXPECT_EQ(human_duration(0), "Less than a second");
  EXPECT_EQ(human_duration(59), "59 seconds");
  EXPECT_EQ(human_duration(61), "About a minute");
  EXPECT_EQ(human_duration(3 * 3600), "3 hours");
  EXPECT_EQ(human_duration(3 * 86400), "3 days");
  EXPECT_EQ(tabwrite({{"REPOSITORY", "TAG", "IMAGE ID", "SIZE"}, {"busybox", "latest", "0123456789ab", "1MB"}}),
            "REPOSITORY   TAG       IMAGE ID       SIZE\n"
            "busybox      latest    0123456789ab   1MB\n");
  nlohmann::ordered_json j = {{"Id", "sha256:x"}, {"Config", {{"Cmd", {"sh", "-c"}}, {"Env", nullptr}, {"Labels", {{"b", "2"}, {"a", "1"}}}}}};
  EXPECT_EQ(render_template("{{.Id}}\\t{{.Config.Cmd}} {{json .Config.Cmd}} {{.Config.Labels}} {{.Config.Env}} {{.Nope}}", j),
            "sha256:x\t[sh -c] [\"sh\",\"-c\"] map[a:1 b:2] <no value> <no value>");
  EXPECT_EQ(template_fields("table {{.Repository}}\\t{{.ID}}"), (std::vector<std::string>{"Repository", "ID"}));
  EXPECT_TRUE(path_match("bench/*", "bench/busybox"));
  EXPECT_FALSE(path_match("*", "bench/busybox"));
}

}  // namespace
}  // namespace stack::image

#include "compose/merge.h"

#include <gtest/gtest.h>

#include "compose/yaml_load.h"

namespace stack::compose {
namespace {

Node parse(std::string_view text, const char* name) {
  auto n = parse_yaml(text, std::make_shared<const std::string>(name));
  EXPECT_TRUE(n) << n.error().to_string();
  return n ? *n : Node();
}

// A compact flow-style dump so a failing comparison shows both documents.
std::string dump(const Node& n) {
  std::string tag = n.tag().empty() ? "" : n.tag() + " ";
  switch (n.kind()) {
    case Node::Kind::Null: return tag + "null";
    case Node::Kind::Scalar: return tag + "'" + n.value() + "'";
    case Node::Kind::Sequence: {
      std::string out = tag + "[";
      for (const Node& item : n.items()) out += dump(item) + ", ";
      return out + "]";
    }
    case Node::Kind::Mapping: {
      std::string out = tag + "{";
      for (const Entry& e : n.entries()) out += e.key + ": " + dump(e.value) + ", ";
      return out + "}";
    }
  }
  return "?";
}

struct MergeCase {
  const char* name;
  const char* base;
  const char* override;
  const char* expected;
};
void PrintTo(const MergeCase& c, std::ostream* os) { *os << c.name; }

class MergeProjects : public testing::TestWithParam<MergeCase> {};

TEST_P(MergeProjects, GivesExpectedDocument) {
  const MergeCase& c = GetParam();
  auto merged = merge_projects(parse(c.base, "base.yml"), parse(c.override, "override.yml"));
  ASSERT_TRUE(merged) << merged.error().to_string();
  Node expected = parse(c.expected, "expected.yml");
  EXPECT_EQ(*merged, expected) << "got:      " << dump(*merged) << "\nexpected: " << dump(expected);
}

const MergeCase kMergeCases[] = {
    {"ScalarsReplacedNewKeysAppendedInOrder",
     "services: {web: {image: a, restart: always, user: root}}",
     "services: {web: {hostname: h, image: b}}",
     "services: {web: {image: b, restart: always, user: root, hostname: h}}"},
    {"NullOverrideKeepsBase",
     "name: base\nservices: {web: {image: a}}",
     "name:\nservices: {web: {image: }}",
     "name: base\nservices: {web: {image: a}}"},
    {"NameFromLastFileThatSetsIt",
     "name: first\nservices: {}",
     "name: second",
     "name: second\nservices: {}"},
    {"MappingsDeepMerged",
     "x-meta: {a: {b: 1, c: 2}, d: 3}",
     "x-meta: {a: {c: 20, e: 5}}",
     "x-meta: {a: {b: 1, c: 20, e: 5}, d: 3}"},
    {"ScalarBaseReplacedByMapping",
     "x-meta: plain",
     "x-meta: {a: 1}",
     "x-meta: {a: 1}"},
    {"CommandEntrypointReplacedNotAppended",
     "services: {web: {command: [sh, -c, base], entrypoint: [/init, -v]}}",
     "services: {web: {command: [echo, over], entrypoint: []}}",
     "services: {web: {command: [echo, over], entrypoint: []}}"},
    {"CommandNullOverrideUnsetsIt",  // compose-go's `override` rule takes a null as well
     "services: {web: {command: [a]}}",
     "services: {web: {command: }}",
     "services: {web: {command: }}"},
    {"HealthcheckTestReplacedRestMerged",
     "services: {web: {healthcheck: {test: [CMD, a], interval: 5s, retries: 3}}}",
     "services: {web: {healthcheck: {test: [CMD-SHELL, b], interval: 9s}}}",
     "services: {web: {healthcheck: {test: [CMD-SHELL, b], interval: 9s, retries: 3}}}"},
    {"PlainSequencesAppendedDuplicatesKept",
     "services: {web: {security_opt: [a], volumes_from: [x], external_links: [l1], group_add: [g]}}",
     "services: {web: {security_opt: [a, b], volumes_from: [x], external_links: [l2], group_add: [g]}}",
     "services: {web: {security_opt: [a, a, b], volumes_from: [x, x], external_links: [l1, l2], group_add: [g, g]}}"},
    {"PortsMergedByHostIpPublishedTargetProtocol",
     "services: {web: {ports: ["
     "{mode: ingress, target: 80, published: '8080', protocol: tcp},"
     "{mode: ingress, target: 53, published: '53', protocol: udp},"
     "{mode: ingress, host_ip: 127.0.0.1, target: 81, published: '81', protocol: tcp}]}}",
     "services: {web: {ports: ["
     "{mode: host, target: 80, published: '8080', protocol: tcp, name: web},"
     "{mode: ingress, target: 53, published: '53', protocol: tcp},"
     "{mode: ingress, host_ip: 0.0.0.0, target: 81, published: '81', protocol: tcp},"
     "{mode: ingress, target: 80, protocol: tcp}]}}",
     "services: {web: {ports: ["
     "{mode: host, target: 80, published: '8080', protocol: tcp, name: web},"
     "{mode: ingress, target: 53, published: '53', protocol: udp},"
     "{mode: ingress, host_ip: 127.0.0.1, target: 81, published: '81', protocol: tcp},"
     "{mode: ingress, target: 53, published: '53', protocol: tcp},"
     "{mode: ingress, host_ip: 0.0.0.0, target: 81, published: '81', protocol: tcp},"
     "{mode: ingress, target: 80, protocol: tcp}]}}"},
    {"VolumesMergedByTarget",
     "services: {web: {volumes: [{type: volume, source: a, target: /a}, {type: bind, source: ./b, target: /b}]}}",
     "services: {web: {volumes: [{type: volume, source: c, target: /c}, {type: volume, source: a2, target: /a}]}}",
     "services: {web: {volumes: [{type: volume, source: a2, target: /a}, {type: bind, source: ./b, target: /b},"
     " {type: volume, source: c, target: /c}]}}"},
    {"SecretsByTargetOrRunSecretsSource",
     "services: {web: {secrets: [{source: s1}, {source: s2, target: /x}]}}",
     "services: {web: {secrets: [{source: s3, target: /run/secrets/s1}, {source: s4, target: /x, mode: '0400'}]}}",
     "services: {web: {secrets: [{source: s3, target: /run/secrets/s1}, {source: s4, target: /x, mode: '0400'}]}}"},
    {"ConfigsByTargetOrSlashSource",
     "services: {web: {configs: [{source: c1}, {source: c2, target: /run/secrets/c2}]}}",
     "services: {web: {configs: [{source: c9, target: /c1}, {source: c2}]}}",
     "services: {web: {configs: [{source: c9, target: /c1}, {source: c2, target: /run/secrets/c2},"
     " {source: c2}]}}"},
    {"DevicesByTarget",
     "services: {web: {devices: [{source: /dev/sda, target: /dev/sda, permissions: rwm},"
     " {source: /dev/sdb, target: /dev/sdb, permissions: rwm}]}}",
     "services: {web: {devices: [{source: /dev/nvme0, target: /dev/sda, permissions: r}]}}",
     "services: {web: {devices: [{source: /dev/nvme0, target: /dev/sda, permissions: r},"
     " {source: /dev/sdb, target: /dev/sdb, permissions: rwm}]}}"},
    {"EnvFilesByPath",
     "services: {web: {env_file: [{path: a.env, required: true}, {path: b.env, required: true}]}}",
     "services: {web: {env_file: [{path: c.env, required: true}, {path: a.env, required: false}]}}",
     "services: {web: {env_file: [{path: a.env, required: false}, {path: b.env, required: true},"
     " {path: c.env, required: true}]}}"},
    {"StringSetsAppendedWithoutDuplicates",
     "services: {web: {expose: ['80', '81'], dns: [1.1.1.1], dns_search: [a.test], dns_opt: [ndots:1],"
     " cap_add: [NET_ADMIN], cap_drop: [ALL], profiles: [dev], links: ['db:database']}}",
     "services: {web: {expose: ['81', '82'], dns: [8.8.8.8, 1.1.1.1], dns_search: [a.test, b.test],"
     " dns_opt: [ndots:1], cap_add: [NET_ADMIN, SYS_TIME], cap_drop: [ALL], profiles: [dev, debug],"
     " links: ['db:database', cache]}}",
     "services: {web: {expose: ['80', '81', '82'], dns: [1.1.1.1, 8.8.8.8], dns_search: [a.test, b.test],"
     " dns_opt: [ndots:1], cap_add: [NET_ADMIN, SYS_TIME], cap_drop: [ALL], profiles: [dev, debug],"
     " links: ['db:database', cache]}}"},
    {"TmpfsKeyedByTextBeforeEquals",
     "services: {web: {tmpfs: [/run, '/tmp:size=10']}}",
     "services: {web: {tmpfs: ['/tmp:size=20', /var]}}",
     "services: {web: {tmpfs: [/run, '/tmp:size=20', /var]}}"},
    {"EnvironmentMergedByKeyOverrideNullWins",
     "services: {web: {environment: {A: a, B: b, C: c}}}",
     "services: {web: {environment: {D: d, B: B2, C: }}}",
     "services: {web: {environment: {A: a, B: B2, C: , D: d}}}"},
    {"KeyValueMapsMergedByKey",
     "services: {web: {labels: {l1: a, l2: b}, annotations: {a1: x}, sysctls: {net.core.somaxconn: '1024'},"
     " deploy: {labels: {d1: x}}, build: {context: ., labels: {b1: x}, args: {A: '1'}}}}\n"
     "networks: {n: {labels: {n1: x}}}\nvolumes: {v: {labels: {v1: x}}}",
     "services: {web: {labels: {l2: B}, annotations: {a2: y}, sysctls: {net.core.somaxconn: '2048'},"
     " deploy: {labels: {d1: y}}, build: {labels: {b2: y}, args: {A: , B: '2'}}}}\n"
     "networks: {n: {labels: {n1: y, n2: z}}}\nvolumes: {v: {labels: {v2: y}}}",
     "services: {web: {labels: {l1: a, l2: B}, annotations: {a1: x, a2: y}, sysctls: {net.core.somaxconn: '2048'},"
     " deploy: {labels: {d1: y}}, build: {context: ., labels: {b1: x, b2: y}, args: {A: , B: '2'}}}}\n"
     "networks: {n: {labels: {n1: y, n2: z}}}\nvolumes: {v: {labels: {v1: x, v2: y}}}"},
    {"ExtraHostsAddressesAddedOnce",
     "services: {web: {extra_hosts: {a.test: [127.0.0.2], b.test: [10.0.0.1]}}}",
     "services: {web: {extra_hosts: {c.test: ['::1'], a.test: [127.0.0.2, 127.0.0.9]}}}",
     "services: {web: {extra_hosts: {a.test: [127.0.0.2, 127.0.0.9], b.test: [10.0.0.1], c.test: ['::1']}}}"},
    {"BuildExtraHostsLikeExtraHosts",
     "services: {web: {build: {context: ., extra_hosts: {a.test: [1.1.1.1]}}}}",
     "services: {web: {build: {extra_hosts: {a.test: [1.1.1.1, 2.2.2.2]}}}}",
     "services: {web: {build: {context: ., extra_hosts: {a.test: [1.1.1.1, 2.2.2.2]}}}}"},
    {"UlimitEntriesReplacedWhole",
     "services: {web: {ulimits: {nofile: {soft: 20000, hard: 40000}, nproc: 65535, locks: {soft: 1, hard: 2}}}}",
     "services: {web: {ulimits: {nofile: {soft: 10000}, nproc: {soft: 5}, core: 0}}}",
     "services: {web: {ulimits: {nofile: {soft: 10000}, nproc: {soft: 5}, locks: {soft: 1, hard: 2}, core: 0}}}"},
    {"LoggingSameDriverMergesOptions",
     "services: {web: {logging: {driver: syslog, options: {syslog-address: a, tag: t}}}}",
     "services: {web: {logging: {driver: syslog, options: {syslog-address: b}}}}",
     "services: {web: {logging: {driver: syslog, options: {syslog-address: b, tag: t}}}}"},
    {"LoggingOtherDriverReplacesBlock",
     "services: {web: {logging: {driver: local, options: {max-size: 10m}}}}",
     "services: {web: {logging: {driver: syslog, options: {syslog-address: b}}}}",
     "services: {web: {logging: {driver: syslog, options: {syslog-address: b}}}}"},
    {"LoggingWithoutDriverMerges",
     "services: {web: {logging: {driver: local, options: {max-size: 10m}}}}",
     "services: {web: {logging: {options: {max-file: '3'}}}}",
     "services: {web: {logging: {driver: local, options: {max-size: 10m, max-file: '3'}}}}"},
    {"DependsOnMergedByServiceName",
     "services: {web: {depends_on: {db: {condition: service_started, required: true},"
     " cache: {condition: service_started, required: true}}}}",
     "services: {web: {depends_on: {db: {condition: service_healthy, required: true},"
     " queue: {condition: service_started, required: false}}}}",
     "services: {web: {depends_on: {db: {condition: service_healthy, required: true},"
     " cache: {condition: service_started, required: true}, queue: {condition: service_started, required: false}}}}"},
    {"DependsOnListFormGetsDefaults",
     "services: {web: {depends_on: [db]}}",
     "services: {web: {depends_on: {db: {restart: true}}}}",
     "services: {web: {depends_on: {db: {condition: service_started, required: true, restart: true}}}}"},
    {"BuildContextReplacedArgsMerged",
     "services: {web: {build: {context: ., dockerfile: Dockerfile, args: {A: '1'}, cache_from: [a]}}}",
     "services: {web: {build: {context: ./other, args: {B: '2'}, cache_from: [b]}}}",
     "services: {web: {build: {context: ./other, dockerfile: Dockerfile, args: {A: '1', B: '2'},"
     " cache_from: [a, b]}}}"},
    {"DeploySubKeysMerged",
     "services: {web: {deploy: {replicas: 1, resources: {limits: {cpus: '1', memory: 1g}},"
     " placement: {constraints: [a]}, restart_policy: {condition: on-failure}}}}",
     "services: {web: {deploy: {replicas: 3, resources: {limits: {memory: 2g}, reservations: {cpus: '0.5'}},"
     " placement: {constraints: [b]}}}}",
     "services: {web: {deploy: {replicas: 3, resources: {limits: {cpus: '1', memory: 2g}, reservations: {cpus: '0.5'}},"
     " placement: {constraints: [a, b]}, restart_policy: {condition: on-failure}}}}"},
    {"ServiceNetworksMergedAliasesUnique",
     "services: {web: {networks: {front: {aliases: [a, b], ipv4_address: 10.0.0.2}, back: }}}",
     "services: {web: {networks: {front: {aliases: [b, c]}, back: {aliases: [x]}, extra: , other: }}}",
     "services: {web: {networks: {front: {aliases: [a, b, c], ipv4_address: 10.0.0.2}, back: {aliases: [x]},"
     " extra: , other: }}}"},
    {"ServiceNetworkNullOverrideKeepsOptions",
     "services: {web: {networks: {front: {priority: 5}}}}",
     "services: {web: {networks: {front: }}}",
     "services: {web: {networks: {front: {priority: 5}}}}"},
    {"ServicesAndResourcesAddedWhole",
     "services: {app: {image: a}}\nvolumes: {data: {}}\nnetworks: {front: {driver: bridge}}",
     "services: {added: {image: b, ports: [{target: 80, protocol: tcp, mode: ingress}]}}\n"
     "volumes: {more: {}}\nnetworks: {front: {driver_opts: {mtu: '1400'}}}\nsecrets: {s: {file: ./s}}",
     "services: {app: {image: a}, added: {image: b, ports: [{target: 80, protocol: tcp, mode: ingress}]}}\n"
     "volumes: {data: {}, more: {}}\nnetworks: {front: {driver: bridge, driver_opts: {mtu: '1400'}}}\n"
     "secrets: {s: {file: ./s}}"},
    {"IncludeAndExtensionsMerged",
     "include: [{path: [a.yml]}]\nx-common: {a: 1, list: [1]}",
     "include: [{path: [b.yml]}]\nx-common: {b: 2, list: [2]}",
     "include: [{path: [a.yml]}, {path: [b.yml]}]\nx-common: {a: 1, list: [1, 2], b: 2}"},
    {"IpamConfigMergedBySubnet",
     "networks: {n: {ipam: {config: [{subnet: 10.0.0.0/16, gateway: 10.0.0.1,"
     " aux_addresses: {h1: 10.0.0.5, h3: 10.0.0.7}}]}}}",
     "networks: {n: {ipam: {config: [{subnet: 10.0.0.0/16, ip_range: 10.0.5.0/24, aux_addresses: {h2: 10.0.0.6}},"
     " {subnet: 10.1.0.0/16}]}}}",
     "networks: {n: {ipam: {config: [{subnet: 10.0.0.0/16, gateway: 10.0.0.1,"
     " aux_addresses: {h1: 10.0.0.5, h3: 10.0.0.7, h2: 10.0.0.6}, ip_range: 10.0.5.0/24}, {subnet: 10.1.0.0/16}]}}}"},
    {"IpamConfigOfOtherSubnetReplacesBase",  // compose-go keeps only subnets the override names
     "networks: {n: {ipam: {config: [{subnet: 10.0.0.0/16}]}}}",
     "networks: {n: {ipam: {config: [{subnet: 10.9.0.0/16}]}}}",
     "networks: {n: {ipam: {config: [{subnet: 10.9.0.0/16}]}}}"},
    {"BaseOnlyDuplicatesCollapsed",  // compose-go enforces unicity on the whole merged document
     "services: {web: {expose: ['80', '80']}, db: {volumes: [{type: volume, target: /x}, {type: bind, source: ., target: /x}]}}",
     "services: {web: {image: a}}",
     "services: {web: {expose: ['80'], image: a}, db: {volumes: [{type: bind, source: ., target: /x}]}}"},
};

INSTANTIATE_TEST_SUITE_P(Rules, MergeProjects, testing::ValuesIn(kMergeCases),
                         [](const testing::TestParamInfo<MergeCase>& info) { return info.param.name; });

const MergeCase kTagCases[] = {
    {"ResetRemovesScalar",
     "services: {web: {image: a, user: root}}",
     "services: {web: {user: !reset null}}",
     "services: {web: {image: a}}"},
    {"ResetRemovesSequence",
     "services: {web: {image: a, ports: [{target: 80, published: '8080', protocol: tcp, mode: ingress}]}}",
     "services: {web: {ports: !reset []}}",
     "services: {web: {image: a}}"},
    {"ResetRemovesMapping",
     "services: {web: {image: a, build: {context: ., dockerfile: foo.Dockerfile}}}",
     "services: {web: {image: foo, build: !reset }}",
     "services: {web: {image: foo}}"},
    {"ResetRemovesOneEnvironmentKey",  // the compose-spec example: environment stays, empty
     "services: {web: {image: a, environment: {FOO: BAR}}}",
     "services: {web: {environment: {FOO: !reset null}}}",
     "services: {web: {image: a, environment: {}}}"},
    {"ResetRemovesService",
     "services: {web: {image: a}, db: {image: b}}",
     "services: {web: !reset null}",
     "services: {db: {image: b}}"},
    {"ResetOfKeyNotInBaseAddsNothing",
     "services: {web: {image: a}}",
     "services: {web: {command: !reset [x]}, new: {image: n, user: !reset root, dns: [a, !reset b, c]}}",
     "services: {web: {image: a}, new: {image: n, dns: [a, c]}}"},
    {"OverrideReplacesSequenceInPlace",
     "services: {web: {image: a, ports: [{target: 80, published: '8080', protocol: tcp, mode: ingress}], user: u}}",
     "services: {web: {ports: !override [{target: 443, published: '8443', protocol: tcp, mode: ingress}]}}",
     "services: {web: {image: a, ports: [{target: 443, published: '8443', protocol: tcp, mode: ingress}], user: u}}"},
    {"OverrideReplacesMapping",
     "services: {web: {environment: {A: a, B: b}, healthcheck: {test: [CMD, x], interval: 5s}}}",
     "services: {web: {environment: !override {C: c}, healthcheck: !override {disable: true}}}",
     "services: {web: {environment: {C: c}, healthcheck: {disable: true}}}"},
    {"OverrideReplacesService",
     "services: {web: {image: a, environment: {A: a}}}",
     "services: {web: !override {image: b}}",
     "services: {web: {image: b}}"},
    {"OverrideOfExtraHostsEntry",
     "services: {web: {extra_hosts: {a.test: [1.1.1.1]}}}",
     "services: {web: {extra_hosts: {a.test: !override [2.2.2.2]}}}",
     "services: {web: {extra_hosts: {a.test: [2.2.2.2]}}}"},
    {"TagsLeftInBaseResolvedFirst",  // compose-go applies the first file's own !reset before merging
     "services: {web: {image: !reset a, environment: !reset {A: a}, dns: !override [x]}}",
     "services: {web: {environment: {B: b}, dns: [y]}}",
     "services: {web: {dns: [x, y], environment: {B: b}}}"},
};

INSTANTIATE_TEST_SUITE_P(Tags, MergeProjects, testing::ValuesIn(kTagCases),
                         [](const testing::TestParamInfo<MergeCase>& info) { return info.param.name; });

struct ErrorCase {
  const char* name;
  const char* base;
  const char* override;
  const char* message;
};
void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

class MergeErrors : public testing::TestWithParam<ErrorCase> {};

TEST_P(MergeErrors, AreLocated) {
  const ErrorCase& c = GetParam();
  auto merged = merge_projects(parse(c.base, "base.yml"), parse(c.override, "override.yml"));
  ASSERT_FALSE(merged) << dump(*merged);
  EXPECT_EQ(merged.error().to_string(), c.message);
}

const ErrorCase kErrorCases[] = {
    {"MappingWithScalar",
     "services:\n  web:\n    environment: {A: a}\n",
     "services:\n  web:\n    environment: A=a\n",
     "override.yml:3:18: services.web.environment: cannot override mapping with string"},
    {"MappingWithSequenceInDeepMerge",
     "services:\n  web:\n    healthcheck: {interval: 5s}\n",
     "services:\n  web:\n    healthcheck: [a]\n",
     "override.yml:3:18: services.web.healthcheck: cannot override mapping with sequence"},
    {"SequenceWithMapping",
     "services:\n  web:\n    dns: [a]\n",
     "services:\n  web:\n    dns: {a: b}\n",
     "override.yml:3:10: services.web.dns: cannot override sequence with mapping"},
    {"ServiceWithScalar",
     "services:\n  web: {image: a}\n",
     "services:\n  web: 12\n",
     "override.yml:2:8: services.web: cannot override mapping with integer"},
    {"ExtraHostsWithSequence",
     "services:\n  web:\n    extra_hosts: {a: [b]}\n",
     "services:\n  web:\n    extra_hosts: [a]\n",
     "override.yml:3:18: services.web.extra_hosts: cannot override mapping with sequence"},
    {"TopLevelNotMapping",
     "services: {}\n",
     "- a\n",
     "override.yml:1:1: top-level object must be a mapping"},
    {"VolumeWithoutTarget",
     "services:\n  web:\n    volumes: [{type: volume, target: /a}]\n",
     "services:\n  web:\n    volumes:\n      - {type: volume, source: b}\n",
     "override.yml:4:9: services.web.volumes[1]: service volume is missing a mount target"},
    {"PortWithoutTarget",
     "services:\n  web:\n    ports: [{target: 80}]\n",
     "services:\n  web:\n    ports:\n      - {published: '80'}\n",
     "override.yml:4:9: services.web.ports[1]: service port is missing a target port"},
    {"DeviceWithoutTarget",
     "services:\n  web: {}\n",
     "services:\n  web:\n    devices:\n      - {source: /dev/sda}\n",
     "override.yml:4:9: services.web.devices[0]: service device is missing a mount target"},
    {"EnvFileWithoutPath",
     "services:\n  web:\n    env_file: [{path: a}]\n",
     "services:\n  web:\n    env_file:\n      - {required: false}\n",
     "override.yml:4:9: services.web.env_file[1]: environment path attribute is missing"},
    {"ExposeNotScalar",
     "services:\n  web: {expose: ['80']}\n",
     "services:\n  web:\n    expose:\n      - [81]\n",
     "override.yml:4:9: services.web.expose[1]: unsupported expose value, got sequence"},
    {"CapabilityNotScalar",
     "services:\n  web: {}\n",
     "services:\n  web:\n    cap_add:\n      - {a: b}\n",
     "override.yml:4:9: services.web.cap_add[0]: expected a string, got mapping"},
};

INSTANTIATE_TEST_SUITE_P(Rules, MergeErrors, testing::ValuesIn(kErrorCases),
                         [](const testing::TestParamInfo<ErrorCase>& info) { return info.param.name; });

TEST(MergeMarks, WinningValueKeepsItsMark) {
  auto merged = merge_projects(parse("services:\n  web:\n    image: a\n    user: root\n    dns: [x]\n", "base.yml"),
                               parse("services:\n  web:\n    image: b\n    dns: [y]\n    hostname: h\n", "override.yml"));
  ASSERT_TRUE(merged) << merged.error().to_string();
  const Node& web = *merged->find("services")->find("web");
  EXPECT_EQ(web.mark().str(), "base.yml:3:5");
  EXPECT_EQ(web.find("image")->mark().str(), "override.yml:3:12");
  EXPECT_EQ(web.find("user")->mark().str(), "base.yml:4:11");
  EXPECT_EQ(web.find("hostname")->mark().str(), "override.yml:5:15");
  EXPECT_EQ(web.find_entry("hostname")->key_mark.str(), "override.yml:5:5");
  const Node& dns = *web.find("dns");
  EXPECT_EQ(dns.mark().str(), "base.yml:5:10");
  ASSERT_EQ(dns.size(), 2u);
  EXPECT_EQ(dns.items()[0].mark().str(), "base.yml:5:11");
  EXPECT_EQ(dns.items()[1].mark().str(), "override.yml:4:11");
}

TEST(MergeMarks, ReplacedUniqueItemPointsAtOverride) {
  auto merged = merge_projects(
      parse("services:\n  web:\n    volumes:\n      - {type: volume, source: a, target: /a}\n", "base.yml"),
      parse("services:\n  web:\n    volumes:\n      - {type: volume, source: b, target: /a}\n", "override.yml"));
  ASSERT_TRUE(merged) << merged.error().to_string();
  const Node& volumes = *merged->find("services")->find("web")->find("volumes");
  ASSERT_EQ(volumes.size(), 1u);
  EXPECT_EQ(volumes.items()[0].mark().str(), "override.yml:4:9");
  EXPECT_EQ(volumes.items()[0].find("source")->value(), "b");
}

TEST(MergeProjectsResult, CarriesNoMergeTags) {
  auto merged = merge_projects(parse("services: {web: {image: a}}", "base.yml"),
                               parse("services: {web: {dns: !override [a]}, new: {dns: !override [b]}}", "override.yml"));
  ASSERT_TRUE(merged) << merged.error().to_string();
  EXPECT_EQ(merged->find("services")->find("web")->find("dns")->tag(), "");
  EXPECT_EQ(merged->find("services")->find("new")->find("dns")->tag(), "");
}

TEST(MergeProjectsResult, ThreeFilesInOrder) {
  auto first = merge_projects(parse("services: {web: {image: a, environment: {A: '1'}}}", "a.yml"),
                              parse("services: {web: {environment: {A: !reset , B: '2'}}}", "b.yml"));
  ASSERT_TRUE(first) << first.error().to_string();
  auto second = merge_projects(*first, parse("services: {web: {image: c, environment: {A: '3'}}}", "c.yml"));
  ASSERT_TRUE(second) << second.error().to_string();
  Node expected = parse("services: {web: {image: c, environment: {B: '2', A: '3'}}}", "x.yml");
  EXPECT_EQ(*second, expected) << dump(*second);
}

TEST(MergeProjectsResult, NullBaseTakesOverride) {
  auto merged = merge_projects(Node(), parse("services: {web: {image: a, dns: [x, x]}}", "a.yml"));
  ASSERT_TRUE(merged) << merged.error().to_string();
  Node expected = parse("services: {web: {image: a, dns: [x]}}", "x.yml");
  EXPECT_EQ(*merged, expected) << dump(*merged);
}

// The extends stage merges one service onto another with the services.* rules.
TEST(MergeServices, AppliesServiceRules) {
  auto merged = merge_services(
      parse("image: a\ncommand: [x]\nulimits: {nofile: {soft: 1, hard: 2}}\nports: [{target: 80, protocol: tcp}]\n"
            "environment: {A: a}\n",
            "base.yml"),
      parse("command: [y]\nulimits: {nofile: 5}\nports: [{target: 80, protocol: tcp, mode: host}]\n"
            "environment: {A: !reset }\nuser: u\n",
            "override.yml"),
      "services.web");
  ASSERT_TRUE(merged) << merged.error().to_string();
  Node expected = parse(
      "image: a\ncommand: [y]\nulimits: {nofile: 5}\nports: [{target: 80, protocol: tcp, mode: host}]\n"
      "environment: {}\nuser: u\n",
      "x.yml");
  EXPECT_EQ(*merged, expected) << dump(*merged);
}

TEST(MergeServices, ErrorsNameTheGivenPath) {
  auto merged = merge_services(parse("labels: {a: b}\n", "base.yml"), parse("labels: 3\n", "override.yml"),
                               "services.child");
  ASSERT_FALSE(merged);
  EXPECT_EQ(merged.error().to_string(), "override.yml:1:9: services.child.labels: cannot override mapping with integer");
}

TEST(StripMergeTags, ResetRemovesOverrideKeeps) {
  Node doc = parse(
      "services:\n  web:\n    image: !reset a\n    dns: !override [x, !reset y, z]\n    env: {A: !reset , B: b}\n"
      "  gone: !reset {}\n",
      "compose.yml");
  strip_merge_tags(doc);
  Node expected = parse("services: {web: {dns: [x, z], env: {B: b}}}", "x.yml");
  EXPECT_EQ(doc, expected) << dump(doc);
  EXPECT_EQ(doc.find("services")->find("web")->find("dns")->tag(), "");
}

TEST(StripMergeTags, ResetRootBecomesNullOtherTagsKept) {
  Node root = parse("!reset {a: 1}", "compose.yml");
  strip_merge_tags(root);
  EXPECT_TRUE(root.is_null());
  EXPECT_EQ(root.tag(), "");
  Node custom = parse("a: !custom 1", "compose.yml");
  strip_merge_tags(custom);
  EXPECT_EQ(custom.find("a")->tag(), "!custom");
}

TEST(EnforceUniqueItems, SingleFile) {
  Node doc = parse(
      "services:\n  web:\n    ports: [{target: 80, published: '80', protocol: tcp, mode: ingress},"
      " {target: 80, published: '80', protocol: tcp, mode: host}]\n"
      "    security_opt: [a, a]\n    networks: {n: {aliases: [x, x]}}\n",
      "compose.yml");
  ASSERT_TRUE(enforce_unique_items(doc));
  Node expected = parse(
      "services: {web: {ports: [{target: 80, published: '80', protocol: tcp, mode: host}], security_opt: [a, a],"
      " networks: {n: {aliases: [x]}}}}",
      "x.yml");
  EXPECT_EQ(doc, expected) << dump(doc);
}

// /work/shared/conformance/cases/multiple-files (compose.yml + override.yml),
// written here in the canonical form transform gives them.
TEST(MergeConformance, MultipleFiles) {
  const char* base = R"(
services:
  app:
    image: conformance/busybox
    command: ["sh", "-c", "echo base-command > /tmp/which; trap 'exit 0' TERM; sleep 1000 & wait"]
    environment:
      BASE_ONLY: from-base
      OVERRIDDEN: from-base
    extra_hosts:
      base-host.test: ["127.0.0.2"]
    volumes:
      - {type: volume, source: data, target: /data}
  base-only:
    image: conformance/busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]
volumes:
  data: {}
)";
  const char* override = R"(
services:
  app:
    command: ["sh", "-c", "echo override-command > /tmp/which; trap 'exit 0' TERM; sleep 1000 & wait"]
    environment:
      OVERRIDDEN: from-override
      ADDED: from-override
    extra_hosts:
      override-host.test: ["127.0.0.3"]
    volumes:
      - {type: volume, source: more, target: /more}
  added:
    image: conformance/busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]
volumes:
  more: {}
)";
  const char* expected = R"(
services:
  app:
    image: conformance/busybox
    command: ["sh", "-c", "echo override-command > /tmp/which; trap 'exit 0' TERM; sleep 1000 & wait"]
    environment:
      BASE_ONLY: from-base
      OVERRIDDEN: from-override
      ADDED: from-override
    extra_hosts:
      base-host.test: ["127.0.0.2"]
      override-host.test: ["127.0.0.3"]
    volumes:
      - {type: volume, source: data, target: /data}
      - {type: volume, source: more, target: /more}
  base-only:
    image: conformance/busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]
  added:
    image: conformance/busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]
volumes:
  data: {}
  more: {}
)";
  auto merged = merge_projects(parse(base, "compose.yml"), parse(override, "override.yml"));
  ASSERT_TRUE(merged) << merged.error().to_string();
  Node want = parse(expected, "expected.yml");
  EXPECT_EQ(*merged, want) << "got:      " << dump(*merged) << "\nexpected: " << dump(want);
  const Node& app = *merged->find("services")->find("app");
  EXPECT_EQ(app.find("command")->mark().str(), "override.yml:4:14");
  EXPECT_EQ(app.find("environment")->find("OVERRIDDEN")->mark().str(), "override.yml:6:19");
  EXPECT_EQ(app.find("environment")->find("BASE_ONLY")->mark().str(), "compose.yml:7:18");
}

}  // namespace
}  // namespace stack::compose

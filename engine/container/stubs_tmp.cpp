#include <cerrno>

#include "engine/container/container.h"

namespace stack::container {

nlohmann::ordered_json inspect_json(const Record&) { return {}; }
nlohmann::ordered_json summary_json(const Record&, std::chrono::system_clock::time_point) { return {}; }
nlohmann::ordered_json config_json(const Config&) { return {}; }
nlohmann::ordered_json host_config_json(const HostConfig&) { return {}; }
std::string docker_status_text(const State&, std::chrono::system_clock::time_point) { return {}; }
std::string human_duration(std::chrono::nanoseconds) { return {}; }
std::string command_line(const Record&) { return {}; }
Result<Filters> parse_filters(const std::string&) { return Filters{}; }
Result<void> validate_filters(const Filters&) { return {}; }
Result<bool> matches_filters(const Record&, const Filters&) { return true; }
nlohmann::json to_disk_json(const Record&) { return {}; }
Result<Record> from_disk_json(const nlohmann::json&) { return fail("not implemented", ENOSYS); }
Result<runtime::Spec> build_spec(const Record&, const SpecPaths&) { return fail("not implemented", ENOSYS); }
Result<runtime::User> resolve_user(const std::string&, const std::string&, const std::vector<std::string>&) { return fail("not implemented", ENOSYS); }
Result<std::vector<std::string>> tweak_capabilities(const std::vector<std::string>&, const std::vector<std::string>&, bool) { return fail("not implemented", ENOSYS); }
std::vector<std::string> container_env(const Config&) { return {}; }
Result<std::vector<std::string>> tmpfs_options(const std::string&) { return fail("not implemented", ENOSYS); }
std::string hostname_content(const Record&) { return {}; }
std::string hosts_content(const Record&) { return {}; }
std::string resolv_conf_content(const Record&, std::string_view) { return {}; }
Result<void> write_container_files(const Record&, const std::string&) { return fail("not implemented", ENOSYS); }
Result<Store> Store::open(const std::string& root) { return Store(root + "/containers"); }
std::string Store::dir_of(const std::string& id) const { return containers_dir_ + "/" + id; }
Result<void> Store::save(const Record&) { return fail("not implemented", ENOSYS); }
Result<Record> Store::load(const std::string&) const { return fail("not implemented", ENOSYS); }
Result<std::vector<Record>> Store::load_all() { return fail("not implemented", ENOSYS); }
Result<void> Store::remove(const std::string&) { return fail("not implemented", ENOSYS); }

}  // namespace stack::container

#include "cli/project_flags.h"

namespace stack::cli {

void add_project_flags(CLI::App& app, ProjectFlags& flags) {
  app.add_option("-f,--file", flags.files, "Compose configuration files")->take_all()->allow_extra_args(false);
  app.add_option("-p,--project-name", flags.project_name, "Project name");
  app.add_option("--project-directory", flags.project_directory,
                 "Alternate working directory (default: the directory of the first Compose file)");
  app.add_option("--env-file", flags.env_files, "Alternate environment file(s)")->allow_extra_args(false);
  app.add_option("--profile", flags.profiles, "Profile(s) to enable")->allow_extra_args(false);
}

compose::LoadOptions load_options(const ProjectFlags& flags) {
  compose::LoadOptions opts = compose::options_from_process();
  opts.files = flags.files;
  if (!flags.project_name.empty()) opts.project_name = flags.project_name;
  if (!flags.project_directory.empty()) opts.project_directory = flags.project_directory;
  opts.env_files = flags.env_files;
  opts.profiles = flags.profiles;
  return opts;
}

}  // namespace stack::cli

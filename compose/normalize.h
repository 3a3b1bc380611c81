// Defaults compose-go fills before a project is used or printed
// (transform.SetDefaultValues + loader.Normalize), applied to the typed model:
//   - services without `networks` and `network_mode` join `default`
//     (`networks: {default: null}`), and the `default` network is declared when used;
//   - top-level networks/volumes/secrets/configs get `name`: the key when external,
//     else "<project>_<key>";
//   - build: context ".", dockerfile "Dockerfile" (unless dockerfile_inline),
//     args without a value resolved from the project environment (dropped when unset);
//   - environment entries without a value resolved from the project environment;
//   - pull_policy if_not_present -> missing;
//   - implicit depends_on from links, `service:x` namespaces (network_mode, ipc,
//     pid, uts, cgroup) and volumes_from;
//   - ports: protocol tcp, mode ingress; service secrets: target /run/secrets/<source>;
//     device requests without count or device_ids: count all (-1);
//     depends_on condition service_started; volume targets cleaned as Go's path.Clean;
//   - deploy.replicas taken from scale when unset; pre_start hooks inherit the image.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"
#include "compose/types.h"

namespace stack::compose {

Result<void> normalize_project(Project& project);


}  // namespace stack::compose

// The container model of the daemon, in one include.
#pragma once

#include "engine/container/create.h"
#include "engine/container/disk.h"
#include "engine/container/files.h"
#include "engine/container/filters.h"
#include "engine/container/index.h"
#include "engine/container/inspect.h"
#include "engine/container/names.h"
#include "engine/container/record.h"
#include "engine/container/spec_builder.h"
#include "engine/container/store.h"

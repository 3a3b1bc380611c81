// The API layer in one include: server, router, requests, responses, framing, filters.
#pragma once

#include "engine/api/filters.h"
#include "engine/api/request.h"
#include "engine/api/responder.h"
#include "engine/api/router.h"
#include "engine/api/run_blocking.h"
#include "engine/api/server.h"
#include "engine/api/stdcopy.h"
#include "engine/api/version.h"

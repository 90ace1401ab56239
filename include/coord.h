/* SPDX-License-Identifier: MIT */
/* coord.h: umbrella header of libcoord; include this one. */
#ifndef COORD_H
#define COORD_H

#include "coord/common.h"
#include "coord/errno.h"
#include "coord/version.h"
#include "coord/clock.h"
#include "coord/flag.h"
#include "coord/value.h"
#include "coord/array.h"
#include "coord/region.h"
#include "coord/gc.h"
#include "coord/queue.h"
#include "coord/manager.h"
#include "coord/interval.h"
#include "coord/search.h"
#include "coord/rounds.h"
#include "coord/team.h"
#include "coord/pool.h"

#endif

/* SPDX-License-Identifier: MIT */
/* advise-report.h: the report's slide-9 section: common access patterns with this machine's recommendation, from the run's own spectrum. */
#ifndef COORD_CLI_ADVISE_REPORT_H
#define COORD_CLI_ADVISE_REPORT_H

#include "json.h"
#include "report.h"

/*
 * advise_report_section: appends to `d` a paragraph and a table: for each
 * of adv_patterns, the cheapest mechanism under the cost model of `coord
 * advise` priced with `spectrum` (a `coord spectrum --json` result), its
 * cost, the runner-up and slide 9's rule. When `spectrum` is NULL or lacks
 * a row the model needs, a paragraph says so instead (with `why` when the
 * experiment did not run). Allocation failures are recorded in d->oom.
 */
void advise_report_section(struct rdoc *d, const struct json *spectrum,
                           const char *why);

#endif

// SPDX-License-Identifier: GPL-2.0
/* `kvmscope ctl` renderings of the guest-OS views: guest-dmesg. */
#include <jansson.h>
#include <stdio.h>

#include "cli/ctl_format.h"

/* The records' lines, as dmesg prints them. */
int ctl_fmt_guest_dmesg(FILE *out, json_t *r)
{
	json_t *recs = json_object_get(r, "records"), *rec;
	size_t i;

	if (!json_is_array(recs))
		return -1;
	json_array_foreach(recs, i, rec)
	{
		json_t *line = json_object_get(rec, "line");

		if (!json_is_string(line))
			return -1;
		fprintf(out, "%s\n", json_string_value(line));
	}
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0 */
/* The test importer's view of one import, as key=value lines for the suites. */
#ifndef DBR_IMP_PRINT_H
#define DBR_IMP_PRINT_H

#include <stdio.h>
#include <sys/ioctl.h>

#include "dmabuf_revoke_importer.h"
#include "dbr_util.h"

/* PFX_mapped=.. PFX_pinned=.. ...; PFX_status=ERRNO if it cannot be read. */
static inline void print_imp(int imp, unsigned int id, const char *pfx)
{
	struct dbr_imp_status st = { .id = id };

	if (ioctl(imp, DBR_IMP_STATUS, &st)) {
		printf("%s_status=%s\n", pfx, ename(errno));
		return;
	}
	printf("%s_mapped=%u\n%s_pinned=%u\n%s_notifications=%u\n%s_stale=%u\n"
	       "%s_maps=%u\n%s_last_map_err=%s\n", pfx, st.mapped, pfx, st.pinned,
	       pfx, st.notifications, pfx, st.stale, pfx, st.maps, pfx,
	       ename(-st.last_map_err));
}

#endif /* DBR_IMP_PRINT_H */

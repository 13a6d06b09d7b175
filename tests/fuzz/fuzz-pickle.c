/*
 * fuzz-pickle.c: libFuzzer target for the pickle decoder. Each input is
 * decoded under small limits, rendered with pickle_dump (which walks the
 * shared, possibly cyclic tree) and freed.
 */
#include "config.h"
#include "pickle.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE			*devnull;
	static const struct pickle_limits lim = {
		.max_input = 1 << 20,
		.max_depth = 1000,
		.max_memo = 1 << 16,
		.max_alloc = 64 << 20,
	};
	struct pickle			*doc;
	char				*cause = NULL;

	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	doc = pickle_load(data, size, "fuzz", &lim, &cause);
	if (doc == NULL) {
		/* Every failure must explain itself. */
		if (cause == NULL)
			abort();
		free(cause);
		return (0);
	}
	if (cause != NULL || doc->root == NULL)
		abort();
	pickle_dump(devnull, doc->root, 64);
	pickle_free(doc);
	return (0);
}

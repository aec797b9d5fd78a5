/*
 * mem.c -- growing arrays, for the core's lists of unknown length.
 */
#include <errno.h>
#include <stdlib.h>

#include "e2c_int.h"

errcode_t e2c_grow(void *arr, size_t *cap, size_t need, size_t sz)
{
	/* Small first: many lists (an inode's indirect blocks) stay short. */
	size_t ncap = *cap ? *cap : 4;
	void *p;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*(void **)arr, ncap * sz);
	if (!p)
		return ENOMEM;
	*(void **)arr = p;
	*cap = ncap;
	return 0;
}

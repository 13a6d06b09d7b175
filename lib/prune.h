/* prune.h: placeholder; written with lib/prune.c (issue 4). */
#ifndef BBM_PRUNE_H
#define BBM_PRUNE_H
#endif

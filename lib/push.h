/* push.h: placeholder; written with lib/push.c (issue 4). */
#ifndef BBM_PUSH_H
#define BBM_PUSH_H
#endif

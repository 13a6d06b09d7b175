/* logread.h: placeholder; written with lib/logread.c (issue 4). */
#ifndef BBM_LOGREAD_H
#define BBM_LOGREAD_H
#endif

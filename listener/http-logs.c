/* http-logs.c: placeholder (issue 4). */
#include "config.h"
extern int bbm_placeholder;

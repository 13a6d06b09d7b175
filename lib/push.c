#include "config.h"
extern int bbm_placeholder;

/* placeholder: being written */
#include "config.h"
extern int bbm_placeholder;

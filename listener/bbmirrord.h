/* placeholder */
#ifndef BBM_BBMIRRORD_H
#define BBM_BBMIRRORD_H
#endif

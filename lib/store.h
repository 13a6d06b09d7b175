#ifndef BBM_STORE_H
#define BBM_STORE_H
#endif

#ifndef BBM_LOGSTORE_H
#define BBM_LOGSTORE_H
#endif

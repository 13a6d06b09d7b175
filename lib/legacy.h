#ifndef BBM_LEGACY_H
#define BBM_LEGACY_H
#endif

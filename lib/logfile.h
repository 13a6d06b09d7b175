#ifndef BBM_LOGFILE_H
#define BBM_LOGFILE_H
#endif

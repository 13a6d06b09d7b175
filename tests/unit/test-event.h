/*
 * test-event.h: shared by test-event.c and test-event-live.c (one test
 * program, one TAP stream).
 */
#ifndef BBM_TEST_EVENT_H
#define BBM_TEST_EVENT_H

#include <msgpack.h>

#include "event.h"
#include "frame.h"
#include "pickle.h"
#include "util.h"

extern const char	*srcdir;

/* One decoded event and the frame it came from. */
struct dec {
	struct frame_msg	 msg;
	struct bbm_event	 ev;
	char			*cause;
	int			 r;
};

/* test-event.c */
void	 pk_event(struct buf *, const char *, const char *,
	     const struct pickle_value *);
int	 dec_frame(struct dec *, const struct buf *);
void	 dec_done(struct dec *);

/* test-event-live.c */
void	 live_synthetic(void);
void	 live_fixtures(void);
void	 datetime_gap(void);

#endif /* BBM_TEST_EVENT_H */

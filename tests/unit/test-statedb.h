/*
 * test-statedb.h: declarations shared by the two files of the test-statedb
 * program: test-statedb.c (main, the helpers, the fixtures, a busy master,
 * odd paths, errors) and test-statedb-crafted.c (the databases built with
 * the 0.8 DDL and the tests that read them whole).
 */
#ifndef BBM_TEST_STATEDB_H
#define BBM_TEST_STATEDB_H

#include <stddef.h>
#include <stdint.h>

struct statedb;

/* The records expected from a database, compared field by field. */
struct want_prop {
	const char	*name;
	const char	*value;
	const char	*source;
};

struct want_change {
	int64_t			 number;
	const char		*author;
	const char		*comments;
	int			 is_dir;
	const char		*branch;
	const char		*revision;
	const char		*revlink;
	double			 when;
	const char		*category;
	const char		*repository;
	const char		*project;
	const char		*codebase;
	size_t			 nfiles;
	const char		*files[3];
	size_t			 nprops;
	struct want_prop	 props[8];
};

struct want_buildset {
	int64_t			 bsid;
	const char		*external_idstring;
	const char		*reason;
	double			 submitted_at;
	int			 complete;
	double			 complete_at;
	int			 results;
	size_t			 nprops;
	struct want_prop	 props[4];
};

struct want_build {
	int64_t	 number;
	double	 started_at;
	double	 finished_at;
};

struct want_request {
	int64_t			 brid;
	int64_t			 bsid;
	const char		*builder_name;
	int64_t			 priority;
	double			 submitted_at;
	double			 claimed_at;
	const char		*claimed_by;
	int			 complete;
	double			 complete_at;
	int			 results;
	size_t			 nbuilds;
	struct want_build	 builds[3];
};

/*
 * test-statedb.c: helpers. The sdb_check_* functions read every record of
 * their kind from sd and compare it with want[0..n-1], then check the end;
 * label prefixes each test point. sdb_make_db creates the basedir name
 * under the test's temporary directory holding a state.sqlite built from
 * sql and returns the basedir (caller frees); sdb_open_dir opens the
 * state.sqlite of a basedir as statedb_open does; sdb_slurp_db returns the
 * bytes of a basedir's state.sqlite (caller frees).
 */
void		 sdb_check_changes(struct statedb *, const struct want_change *,
		     size_t, const char *);
void		 sdb_check_buildsets(struct statedb *,
		     const struct want_buildset *, size_t, const char *);
void		 sdb_check_requests(struct statedb *,
		     const struct want_request *, size_t, const char *);
char		*sdb_make_db(const char *, const char *);
struct statedb	*sdb_open_dir(const char *, char **);
char		*sdb_slurp_db(const char *, size_t *);

/*
 * test-statedb-crafted.c: the 0.8.2/0.8.3 (v6) and 0.8.7/0.8.8 (m22)
 * schemas, their rows, the records the m22 rows give, and the tests.
 */
extern const char			v6_ddl[];
extern const char			v6_rows[];
extern const char			m22_ddl[];
extern const char			m22_rows[];
extern const struct want_change		m22_changes[];
extern const struct want_request	m22_requests[];

void	test_crafted(void);
void	test_indexed(void);
void	test_snapshot(void);

#endif /* BBM_TEST_STATEDB_H */

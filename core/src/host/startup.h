/*
 * startup.h - bringing the whole process up and down in order; shared by
 * hubd and hubctl so both see the same services, modules and migrations.
 */
#ifndef HUB_STARTUP_H
#define HUB_STARTUP_H

#include <stddef.h>

enum hub_start_mode {
	HUB_START_CHECK = 0, /* validate only: no data directory writes */
	HUB_START_CTL = 1,   /* hubctl: storage, migrations, modules */
	HUB_START_SERVER = 2 /* hubd: all of the above plus jobs */
};

/* Loads `conf_path`, sets up logging, the time zone, the data directory,
 * storage, core services and migrations, and loads the modules. Returns 0;
 * 2 for a configuration error (message in err, one line); 1 for any other
 * failure. Call once, before any other thread starts. */
int hub_startup(const char *conf_path, int mode, char *err, size_t errlen);

/* Tears down in reverse order whatever hub_startup brought up. */
void hub_shutdown(void);

/* The data directory as resolved by hub_startup (borrowed). */
const char *hub_data_dir(void);

#endif

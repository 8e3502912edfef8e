/*
 * crash.h - the fatal-signal handler of hubd: on SIGSEGV, SIGBUS, SIGFPE,
 * SIGILL or SIGABRT it writes one crash record with async-signal-safe
 * calls only and re-raises the signal with the default action, so the
 * process dies and its supervisor starts it again. Nothing is served on
 * after a fatal signal: a thread stopped anywhere (inside malloc, holding
 * SQLite's or the allocator's locks) cannot be resumed safely.
 *
 * The record is <data_dir>/crash/crash-<unix seconds>-<pid>.txt (file
 * 0600, folder 0700), lines key=value: signal, signame, addr, time, pid,
 * release, module, route, request_id, then "backtrace:" and the frames.
 */
#ifndef HUB_HTTP_CRASH_H
#define HUB_HTTP_CRASH_H

/* Installs the handlers for the whole process, records data_dir/crash as
 * the folder for records (data_dir NULL: the current directory) and warms
 * up backtrace() so that the handler does not load libgcc at crash time.
 * Call once, before the server's threads start. Never fails: a folder
 * that cannot be written only loses the record, not the re-raise. */
void hub_crash_install(const char *data_dir);

/* Names what the calling thread is doing, for the record: the module, the
 * route pattern and the request id. The strings must outlive the
 * matching hub_crash_leave (they are read, not copied). NULL is "-". */
void hub_crash_enter(const char *module, const char *route,
		     const char *request_id);

/* Clears the calling thread's names. */
void hub_crash_leave(void);

#endif

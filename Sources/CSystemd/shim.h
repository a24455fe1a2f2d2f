#ifndef ROTORD_CSYSTEMD_SHIM_H
#define ROTORD_CSYSTEMD_SHIM_H
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
// timerfd (not in Swift's Glibc module): the daemon's watch for a set wall clock (RotordKit/Daemon/WallClockWatch.swift).
#include <sys/timerfd.h>
#endif

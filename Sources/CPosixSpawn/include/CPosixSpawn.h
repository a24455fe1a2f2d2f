#ifndef ROTORD_CPOSIXSPAWN_H
#define ROTORD_CPOSIXSPAWN_H
#include <spawn.h>

/// glibc (2.34 and later) closes every descriptor from `from` up in the child, after the file
/// actions before it: the only race-free way to give a child nothing of ours, whatever another
/// thread opens meanwhile, close-on-exec or not. <spawn.h> declares it only under _GNU_SOURCE,
/// which the module that Swift imports it from is not built with; so it is declared here.
int rotord_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);

#endif

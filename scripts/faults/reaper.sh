#!/usr/bin/env bash
# Fault-suite watchdog: `reaper.sh <pid> <cleanup.sh>` waits for <pid> (the Jest process that
# started the suite's private PostgreSQL and RabbitMQ) to exit, however it exits, then runs
# <cleanup.sh>, which stops those instances and the services of the run. The global teardown
# runs cleanup.sh itself and then stops this watchdog, so normally it has nothing left to do.
set -u
pid=$1
cleanup=$2
trap 'exit 0' TERM
while kill -0 "$pid" 2>/dev/null; do sleep 1 & wait $!; done
[ -f "$cleanup" ] && bash "$cleanup"
exit 0

#!/bin/sh
# Bring the schema up to date, then become the bot (exec: signals reach it directly).
# Several replicas may start at once: `quizbot db upgrade` takes a database lock for that.
set -eu
quizbot db upgrade
exec quizbot "$@"

#!/bin/bash -eu
# OSS-Fuzz's build script for Cinder (projects/cinder/build.sh in google/oss-fuzz). The build is
# the repository's own, shared with ClusterFuzzLite, so the two cannot drift apart.
exec "$SRC/cinder/.clusterfuzzlite/build.sh"

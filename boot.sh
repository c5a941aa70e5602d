#! /bin/sh
# Generates configure and Makefile.in for the vf-zc overlay.
set -e
autoreconf --install --force

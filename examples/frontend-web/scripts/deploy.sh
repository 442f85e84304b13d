#!/bin/sh
# Copies the built bundle to the web servers.
target=$1
for host in $(cat hosts.txt); do
  scp -r dist/* $host:$target
done

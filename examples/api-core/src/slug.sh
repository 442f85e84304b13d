#!/bin/sh
# slugify TEXT: lower-case, ASCII letters and digits, words joined by '-'.
slugify() {
  printf '%s' "$1" | tr '[:upper:]' '[:lower:]' | tr -cs 'a-z0-9' '-' | sed 's/^-*//; s/-*$//'
}

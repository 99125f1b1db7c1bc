# Sourced by scripts/fuzz.sh and bench/soak.sh: stack_json DIR prints the
# documents of a stack directory (DIR/<app>/<endpoint>.json) as one JSON object,
# {"sabnzbd": {"get_config": ..., "version": ...}, "sonarr": {...}, "radarr": {...}},
# the shape POST /api/v1/audits takes as "documents".
stack_json() {
  local dir=$1 first_app=1
  printf '{'
  for app in sabnzbd sonarr radarr; do
    [ -d "$dir/$app" ] || continue
    ((first_app)) || printf ','
    first_app=0
    printf '"%s":{' "$app"
    local first=1
    for f in "$dir/$app"/*.json; do
      ((first)) || printf ','
      first=0
      printf '"%s":' "$(basename "$f" .json)"
      cat "$f"
    done
    printf '}'
  done
  printf '}'
}

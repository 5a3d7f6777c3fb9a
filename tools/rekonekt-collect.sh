#!/bin/sh
# rekonekt-collect — Rekonekt's hardware snapshot collector for a live USB.
#
# Collects dmidecode, lsblk, smartctl (internal disks only) and the battery figures under
# /sys/class/power_supply, writes one "RekonektSnapshot" JSON file and posts it to
# $REKONEKT_URL/api/v1/snapshots with the station token. See docs/collector.md.
#
# POSIX shell only (runs under dash and busybox sh); tools used: dmidecode, smartctl, lsblk,
# curl, and POSIX utilities (awk, sed, tr, cat, date, od, id, mkdir, rm, cp).
#
# Environment (or rekonekt.conf next to this script, KEY=value lines; the environment wins):
#   REKONEKT_URL         base URL of Rekonekt, e.g. https://rekonekt.example
#   REKONEKT_TOKEN       station token (sent as "Authorization: Bearer …"; surrounding quotes stripped)
#   REKONEKT_COLLECTION  optional collection reference
#   REKONEKT_DIR         where snapshot files are written (default /tmp)
#   REKONEKT_CONF        another configuration file
# For tests: REKONEKT_SYSFS (default /sys), DMIDECODE, SMARTCTL, LSBLK, CURL (command names).

COLLECTOR_VERSION="1.0"

LC_ALL=C
export LC_ALL
umask 077

DMIDECODE=${DMIDECODE:-dmidecode}
SMARTCTL=${SMARTCTL:-smartctl}
LSBLK=${LSBLK:-lsblk}
CURL=${CURL:-curl}
REKONEKT_SYSFS=${REKONEKT_SYSFS:-/sys}

BATTERY_FILES="energy_full_design energy_full charge_full_design charge_full cycle_count manufacturer model_name technology status"

say() { printf '%s\n' "$*"; }
warn() { printf '%s\n' "rekonekt-collect : $*" >&2; }

usage() {
    cat <<'EOF'
rekonekt-collect — relevé du matériel pour Rekonekt (clé USB de démarrage)

Utilisation (en root) :
  sh rekonekt-collect.sh               relève le matériel, l'envoie à Rekonekt et affiche l'étiquette
  sh rekonekt-collect.sh --dry-run     affiche le relevé (JSON) sans rien envoyer
  sh rekonekt-collect.sh --resend FICHIER
                                       renvoie un relevé conservé après un échec d'envoi
  sh rekonekt-collect.sh --help        affiche cette aide

Réglages (variables d'environnement, ou fichier rekonekt.conf à côté du script,
une ligne CLÉ=valeur par réglage) :
  REKONEKT_URL         adresse de Rekonekt, par exemple https://rekonekt.example
  REKONEKT_TOKEN       jeton de poste créé par l'administrateur
  REKONEKT_COLLECTION  référence de la collecte (facultatif)
  REKONEKT_DIR         dossier où le relevé est enregistré (par défaut /tmp)

Le relevé est enregistré dans REKONEKT_DIR/rekonekt-snapshot-<uuid>.json ; il est
conservé si l'envoi échoue, pour être renvoyé avec --resend.
EOF
}

# --- configuration -------------------------------------------------------------------------------

# conf_value KEY FILE: the value of KEY=… in FILE (last one wins), CR, blanks and quotes stripped.
conf_value() {
    sed -n "s/^[[:space:]]*\(export[[:space:]]\{1,\}\)\{0,1\}$1[[:space:]]*=[[:space:]]*//p" "$2" |
        tr -d '\r' | sed -n '$p' | unquote
}

# unquote: strips surrounding blanks, then one pair of surrounding single or double quotes.
unquote() {
    sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' \
        -e "s/^'\\(.*\\)'\$/\\1/" -e 's/^"\(.*\)"$/\1/'
}

load_config() {
    script_dir=$(dirname "$0")
    conf=${REKONEKT_CONF:-$script_dir/rekonekt.conf}
    if [ -n "${REKONEKT_CONF:-}" ] && [ ! -r "$conf" ]; then
        warn "fichier de réglages illisible : $conf"
        exit 2
    fi
    if [ -r "$conf" ]; then
        for key in REKONEKT_URL REKONEKT_TOKEN REKONEKT_COLLECTION REKONEKT_DIR; do
            eval "current=\${$key:-}"
            if [ -z "$current" ]; then
                # shellcheck disable=SC2034 # read by the eval below
                value=$(conf_value "$key" "$conf")
                eval "$key=\$value"
            fi
        done
    fi
    REKONEKT_URL=$(printf '%s' "${REKONEKT_URL:-}" | unquote | sed 's:/*$::')
    REKONEKT_TOKEN=$(printf '%s' "${REKONEKT_TOKEN:-}" | tr -d '\r\n' | unquote)
    REKONEKT_COLLECTION=$(printf '%s' "${REKONEKT_COLLECTION:-}" | tr -d '\r' | unquote)
    REKONEKT_DIR=${REKONEKT_DIR:-/tmp}
}

# --- JSON helpers --------------------------------------------------------------------------------

# json_string: stdin (bytes) -> one JSON string literal on stdout, exactly round-tripping the input:
# quotes, backslashes and control characters escaped, valid UTF-8 kept as is, any byte that is not
# part of a valid UTF-8 sequence replaced by \ufffd (so the document always parses). NUL is dropped.
json_string() {
    { tr -d '\000'; printf 'x'; } | awk '
    BEGIN {
        for (i = 1; i < 256; i++) ord[sprintf("%c", i)] = i
        for (i = 1; i < 32; i++) ctl[i] = sprintf("\\u%04x", i)
        ctl[8] = "\\b"; ctl[9] = "\\t"; ctl[10] = "\\n"; ctl[12] = "\\f"; ctl[13] = "\\r"
        printf "\""
    }
    function cont(c) { return c >= 128 && c <= 191 }
    function escape(s,    out, n, i, c, b, need, lo, hi, k, ok) {
        # (no gsub: awks disagree on backslashes in its replacement text)
        if (s !~ /[^ -~]/ && index(s, "\\") == 0 && index(s, "\"") == 0) return s
        out = ""; n = length(s); i = 1
        while (i <= n) {
            b = substr(s, i, 1); c = ord[b]
            if (c == 34) { out = out "\\\""; i++; continue }
            if (c == 92) { out = out "\\\\"; i++; continue }
            if (c < 32) { out = out ctl[c]; i++; continue }
            if (c < 128) { out = out b; i++; continue }
            need = 0; lo = 128; hi = 191
            if (c >= 194 && c <= 223) need = 1
            else if (c == 224) { need = 2; lo = 160 }
            else if (c >= 225 && c <= 236) need = 2
            else if (c == 237) { need = 2; hi = 159 }
            else if (c >= 238 && c <= 239) need = 2
            else if (c == 240) { need = 3; lo = 144 }
            else if (c >= 241 && c <= 243) need = 3
            else if (c == 244) { need = 3; hi = 143 }
            ok = (need > 0 && i + need <= n)
            if (ok) {
                k = ord[substr(s, i + 1, 1)]
                if (k < lo || k > hi) ok = 0
                for (k = 2; ok && k <= need; k++) if (!cont(ord[substr(s, i + k, 1)])) ok = 0
            }
            if (ok) { out = out substr(s, i, need + 1); i += need + 1 }
            else { out = out "\\ufffd"; i++ }
        }
        return out
    }
    NR > 1 { printf "%s\\n", escape(previous) }
    { previous = $0 }
    END {
        sub(/x$/, "", previous)
        printf "%s\"", escape(previous)
    }'
}

# json_field PATH: the decoded value of the string member PATH of the JSON object on stdin, PATH
# being a member name of the object itself ("message"), or names through nested objects
# ("label.printed_on"); members of nested objects never stand for the object's own. Exit status 1
# when there is no such string member (absent, null, a number…).
json_field() {
    tr '\n\r\t' '   ' | awk -v name="$1" '
    function hex(h,    i, v) {
        v = 0; h = tolower(h)
        for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
        return v
    }
    function utf8(v) {
        if (v < 128) return sprintf("%c", v)
        if (v < 2048) return sprintf("%c%c", 192 + int(v / 64), 128 + v % 64)
        if (v < 65536) return sprintf("%c%c%c", 224 + int(v / 4096), 128 + int(v / 64) % 64, 128 + v % 64)
        return sprintf("%c%c%c%c", 240 + int(v / 262144), 128 + int(v / 4096) % 64, 128 + int(v / 64) % 64, 128 + v % 64)
    }
    { text = text $0 }
    END {
        # Walk the text once, strings skipped whole, counting the depth of objects and arrays: a key
        # counts only at the depth of the object matched so far.
        parts = split(name, path, ".")
        level = 1; depth = 0; n = length(text); i = 1
        while (i <= n) {
            c = substr(text, i, 1)
            if (c == "\"") {
                j = i + 1
                while (j <= n && (d = substr(text, j, 1)) != "\"") j += (d == "\\") ? 2 : 1
                if (depth == level && substr(text, i + 1, j - i - 1) == path[level] &&
                    match(substr(text, j + 1), /^[ ]*:[ ]*/)) {
                    start = j + RLENGTH + 1; v = substr(text, start, 1)
                    if (level == parts && v == "\"") { text = substr(text, start + 1); found = 1; break }
                    if (level < parts && v == "{") { level++; i = start; continue }
                }
                i = j + 1
                continue
            }
            if (c == "{" || c == "[") depth++
            else if (c == "}" || c == "]") { depth--; if (depth < level) break }
            i++
        }
        if (!found) exit 1
        out = ""; n = length(text); i = 1
        while (i <= n) {
            c = substr(text, i, 1)
            if (c == "\"") break
            if (c != "\\") { out = out c; i++; continue }
            e = substr(text, i + 1, 1); i += 2
            if (e == "n") out = out "\n"
            else if (e == "t") out = out "\t"
            else if (e == "r") out = out "\r"
            else if (e == "b" || e == "f") out = out " "
            else if (e == "u") {
                v = hex(substr(text, i, 4)); i += 4
                if (v >= 55296 && v <= 56319 && substr(text, i, 2) == "\\u") {
                    w = hex(substr(text, i + 2, 4))
                    if (w >= 56320 && w <= 57343) { v = 65536 + (v - 55296) * 1024 + (w - 56320); i += 6 }
                }
                out = out utf8(v)
            } else out = out e
        }
        printf "%s", out
    }'
}

# sentences: one sentence of the text on stdin per line (Rekonekt's answers are French sentences).
sentences() {
    awk '{ gsub(/[.!?] +/, "&\n"); gsub(/ +\n/, "\n"); print }'
}

# trim: strips leading and trailing blanks (sysfs values end with a newline).
trim() {
    tr '\n' ' ' | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//'
}

# looks_like_json_object: stdin starts with "{" and ends with "}" (blanks aside).
looks_like_json_object() {
    tr -d ' \t\r\n' | awk '{ s = s $0 } END { exit !(substr(s, 1, 1) == "{" && substr(s, length(s), 1) == "}") }'
}

# internal_disks: names of the lsblk devices of TYPE disk that are neither removable nor on USB
# (zram swap devices excepted too). Reads lsblk -J on stdin; accepts booleans or "0"/"1" strings.
internal_disks() {
    tr '\n\r\t' '   ' | awk 'BEGIN { RS = "}" }
    function field(name,    r, v) {
        r = "\"" name "\"[ ]*:[ ]*(\"[^\"]*\"|[a-z0-9]+)"
        if (!match($0, r)) return ""
        v = substr($0, RSTART, RLENGTH)
        sub(/^"[^"]*"[ ]*:[ ]*/, "", v); gsub(/"/, "", v)
        return v
    }
    {
        name = field("name"); type = field("type"); tran = field("tran"); rm = field("rm")
        if (name == "" || type != "disk") next
        if (rm == "true" || rm == "1") next
        if (tolower(tran) == "usb") next
        if (name ~ /^zram/) next
        if (name !~ /^[A-Za-z0-9_.-]+$/) next
        print name
    }'
}

# --- collection ----------------------------------------------------------------------------------

new_uuid() {
    if [ -r /proc/sys/kernel/random/uuid ]; then
        cat /proc/sys/kernel/random/uuid
        return
    fi
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n' | awk '{
        v = substr("89ab", index("0123456789abcdef", substr($0, 17, 1)) % 4 + 1, 1)
        printf "%s-%s-4%s-%s%s-%s\n", substr($0, 1, 8), substr($0, 9, 4), substr($0, 14, 3), v, substr($0, 18, 3), substr($0, 21, 12)
    }'
}

# build_snapshot FILE UUID: writes the RekonektSnapshot JSON to FILE.
build_snapshot() {
    out=$1
    make_temp_dir
    work=$temp_dir
    "$DMIDECODE" >"$work/dmidecode" || warn "dmidecode a échoué (êtes-vous root ?)"
    "$LSBLK" -J -b -d -o NAME,TYPE,TRAN,RM,ROTA,SIZE,MODEL,SERIAL >"$work/lsblk" || warn "lsblk a échoué"
    if ! looks_like_json_object <"$work/lsblk"; then
        warn "la sortie de lsblk n'est pas du JSON : aucun disque relevé"
        printf '{"blockdevices": []}\n' >"$work/lsblk"
    fi
    {
        printf '{"type": "RekonektSnapshot", "version": 1, "uuid": "%s", ' "$2"
        printf '"collected_at": "%s", ' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
        printf '"collector": "rekonekt-collect %s", ' "$COLLECTOR_VERSION"
        if [ -n "$REKONEKT_COLLECTION" ]; then
            printf '"collection": '
            printf '%s' "$REKONEKT_COLLECTION" | json_string
            printf ', '
        fi
        printf '"dmidecode": '
        json_string <"$work/dmidecode"
        printf ',\n"lsblk": '
        cat "$work/lsblk"
        printf ',\n"smartctl": ['
        separator=""
        for disk in $(internal_disks <"$work/lsblk"); do
            "$SMARTCTL" -x --json "/dev/$disk" >"$work/smartctl" 2>/dev/null
            if looks_like_json_object <"$work/smartctl"; then
                printf '%s\n' "$separator"
                cat "$work/smartctl"
                separator=","
            elif [ -s "$work/smartctl" ]; then
                warn "smartctl /dev/$disk : sortie illisible, disque ignoré"
            fi
        done
        printf '],\n"battery": ['
        separator=""
        for battery in "$REKONEKT_SYSFS"/class/power_supply/BAT*; do
            [ -d "$battery" ] || continue
            printf '%s{"name": ' "$separator"
            printf '%s' "${battery##*/}" | json_string
            for file in $BATTERY_FILES; do
                [ -r "$battery/$file" ] || continue
                printf ', "%s": ' "$file"
                trim <"$battery/$file" | json_string
            done
            printf '}'
            separator=", "
        done
        printf ']}\n'
    } >"$out"
    rm -rf "$work"
}

# make_temp_dir: creates a private directory and sets temp_dir to it (no subshell: the counter
# must survive between calls).
TEMP_COUNT=0
make_temp_dir() {
    TEMP_COUNT=$((TEMP_COUNT + 1))
    temp_dir=${TMPDIR:-/tmp}/rekonekt-collect.$$.$TEMP_COUNT
    mkdir "$temp_dir" || { warn "impossible de créer $temp_dir"; exit 1; }
}

# --- sending -------------------------------------------------------------------------------------

banner() {
    say ""
    say "=================================================================="
    say ""
    say "    $1"
    say ""
    say "=================================================================="
    say ""
}

# post FILE KEEP: posts FILE; prints the asset tag or the error. KEEP=1 never deletes FILE.
post() {
    file=$1
    if [ -z "$REKONEKT_URL" ] || [ -z "$REKONEKT_TOKEN" ]; then
        warn "REKONEKT_URL et REKONEKT_TOKEN doivent être réglés (variables ou rekonekt.conf)."
        say "Relevé conservé : $file"
        exit 2
    fi
    make_temp_dir
    work=$temp_dir
    printf 'Authorization: Bearer %s\n' "$REKONEKT_TOKEN" >"$work/headers"
    say "Envoi du relevé à $REKONEKT_URL …"
    status=$("$CURL" -sS -X POST --connect-timeout 15 --max-time 120 \
        --retry 4 --retry-delay 5 --retry-connrefused \
        -H 'Content-Type: application/json' -H 'Accept: application/json' -H "@$work/headers" \
        --data-binary "@$file" -o "$work/answer" -w '%{http_code}' \
        "$REKONEKT_URL/api/v1/snapshots")
    curl_status=$?
    [ -f "$work/answer" ] || : >"$work/answer"
    case "$status" in
    2??)
        tag=$(json_field asset_tag <"$work/answer") || tag=$(json_field dhid <"$work/answer") || tag=""
        message=$(json_field message <"$work/answer") || message=""
        if [ -z "$tag" ]; then
            banner "Relevé reçu (HTTP $status), sans étiquette : ${message:-à vérifier dans Rekonekt}"
        else
            # Printed at the workshop's reception station, or not (why is in the message).
            if printed=$(json_field label.printed_on <"$work/answer") && [ -n "$printed" ]; then
                banner "Étiquette : $tag — collez l'étiquette imprimée sur l'appareil"
            else
                banner "Étiquette : $tag"
            fi
            [ -z "$message" ] || { printf '%s\n' "$message" | sentences; say ""; }
        fi
        rm -rf "$work"
        if [ "$2" = 1 ]; then
            say "Le fichier $file peut être supprimé."
        else
            rm -f "$file"
        fi
        exit 0
        ;;
    esac
    if [ -z "$status" ] || [ "$status" = 000 ]; then
        banner "ÉCHEC : Rekonekt injoignable ($REKONEKT_URL, curl code $curl_status)"
    else
        message=$(json_field message <"$work/answer") ||
            message=$(json_field error <"$work/answer") ||
            message=$(tr '\r\n' '  ' <"$work/answer" | cut -c 1-300)
        banner "ÉCHEC de l'envoi (HTTP $status) : ${message:-réponse vide}"
    fi
    say "Relevé conservé : $file"
    say "Pour le renvoyer : sh $0 --resend $file"
    rm -rf "$work"
    exit 1
}

# --- main ----------------------------------------------------------------------------------------

mode=collect
resend_file=""
while [ $# -gt 0 ]; do
    case "$1" in
    -h | --help) usage; exit 0 ;;
    -n | --dry-run) mode=dry-run ;;
    --resend)
        [ $# -ge 2 ] || { warn "--resend attend un fichier"; exit 2; }
        mode=resend; resend_file=$2; shift ;;
    --resend=*) mode=resend; resend_file=${1#--resend=} ;;
    *) warn "option inconnue : $1 (voir --help)"; exit 2 ;;
    esac
    shift
done

load_config

case "$mode" in
resend)
    [ -r "$resend_file" ] || { warn "fichier illisible : $resend_file"; exit 2; }
    post "$resend_file" 1
    ;;
dry-run)
    make_temp_dir
    tmp=$temp_dir
    build_snapshot "$tmp/snapshot.json" "$(new_uuid)"
    cat "$tmp/snapshot.json"
    rm -rf "$tmp"
    exit 0
    ;;
esac

[ "$(id -u)" = 0 ] || warn "attention : lancé sans les droits root, dmidecode et smartctl seront incomplets."
mkdir -p "$REKONEKT_DIR" || { warn "impossible de créer $REKONEKT_DIR"; exit 1; }
uuid=$(new_uuid)
snapshot="$REKONEKT_DIR/rekonekt-snapshot-$uuid.json"
say "Relevé du matériel en cours…"
build_snapshot "$snapshot" "$uuid"
post "$snapshot" 0

#!/bin/sh
# check-command-files.sh - a command's code is found from its name (README "How it is
# built"): for every OMK_CMD row of daemon/commands.def, the handler is named cmd_<name>
# (a '-' in the name becomes '_') and is defined, as "void cmd_<name>(" at the start of a
# line, in daemon/cmd_<group>.c, <group> being the row's group column with '-' mapped to
# '_'. One TAP test per row, with no exception.
src="${OMK_TOP_SRCDIR:-.}"
def="$src/daemon/commands.def"
n=0
failed=0

# The rows as "name handler group", one a line. Columns are split at commas; the only
# column that may hold a comma, the summary, comes last.
rows=$(sed -n 's/^OMK_CMD(//p' "$def" | awk -F, '{
    name = $1; handler = $7; group = $8
    gsub(/[" \t]/, "", name); gsub(/[ \t]/, "", handler); gsub(/[" \t]/, "", group)
    print name, handler, group
}')
if [ -z "$rows" ]; then
    echo "1..1"
    echo "not ok 1 - $def has OMK_CMD rows"
    exit 1
fi

while read -r name handler group; do
    n=$((n + 1))
    want="cmd_$(echo "$name" | tr '-' '_')"
    file="daemon/cmd_$(echo "$group" | tr '-' '_').c"
    if [ "$handler" != "$want" ]; then
        echo "not ok $n - $name: its handler is $handler, not $want"
        failed=$((failed + 1))
    elif grep -q "^void $handler(" "$src/$file" 2>/dev/null; then
        echo "ok $n - $name: $handler is in $file"
    else
        where=$(cd "$src" && grep -l "^void $handler(" daemon/*.c 2>/dev/null | tr '\n' ' ')
        echo "not ok $n - $name: $handler is not in $file (group $group)"
        echo "#   defined in: ${where:-nowhere}"
        failed=$((failed + 1))
    fi
done <<EOF_ROWS
$rows
EOF_ROWS
echo "1..$n"
[ "$failed" -eq 0 ]

# Functions of one object (-v object=NAME, matched as a path suffix) in callgrind output files,
# with their self cost (Ir), one "COST NAME" line each. Callgrind's name compression: "(N) name"
# defines N, "(N)" refers to it.
function named(kind, spec,    id, rest) {
    id = spec; sub(/\).*/, "", id); sub(/^\(/, "", id)
    rest = spec; sub(/^\([0-9]+\) ?/, "", rest)
    if (rest != "") names[kind, id] = rest
    return names[kind, id]
}
FNR == 1 { delete names; inside = 0; aftercall = 0 }
/^ob=/ { o = named("ob", substr($0, 4)); inside = (substr(o, length(o) - length(object) + 1) == object); next }
/^cob=/ { named("ob", substr($0, 5)); next }
/^fn=/ { f = named("fn", substr($0, 4)); sub(/'[0-9]+$/, "", f); if (inside && !(f in cost)) cost[f] = 0; next }
/^cfn=/ { named("fn", substr($0, 5)); next }
/^calls=/ { aftercall = 1; next }
/^[0-9+*-]/ { if (aftercall) { aftercall = 0; next } if (inside && NF >= 2) cost[f] += $2; next }
END { for (f in cost) if (f !~ /^0x/) print cost[f], f }

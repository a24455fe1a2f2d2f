# Makes the pages that swift-argument-parser's generate-manual writes for subcommands readable by
# lexgrog (whatis, apropos; lintian's bad-whatis-entry): the NAME section's `.Nm "rotord run"`
# becomes `.Nm rotord.run` (the page's own name), and SYNOPSIS keeps the command as it is typed.
/^\.Sh NAME/ { section = "NAME" }
/^\.Sh SYNOPSIS/ { section = "SYNOPSIS" }
section == "NAME" && /^\.Nm "/ {
    typed = $0
    sub(/^\.Nm /, "", typed)
    name = typed
    gsub(/"/, "", name)
    gsub(/ /, ".", name)
    print ".Nm " name
    next
}
section == "SYNOPSIS" && $0 == ".Nm" && typed != "" {
    print ".Nm " typed
    typed = ""
    next
}
{ print }

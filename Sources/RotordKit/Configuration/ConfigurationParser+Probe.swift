import Foundation
import RotordCore
import Yams

/// `probe: {exec: [PROGRAM, ARG…], timeout: DURATION}` of a consumer (docs/configuration.md).
extension ConfigurationParser {
    mutating func probe(_ node: Node, at key: String) -> AdoptionProbe? {
        guard let map = mapping(node, at: key, allowed: ["exec", "timeout"]) else { return nil }
        guard map["exec"] != nil else {
            error(key, node, "needs exec: [\"/path/to/program\", \"arg\", ...], the command that must succeed")
            return nil
        }
        guard case .exec(let arguments, let timeout) = hook(map, at: key) else { return nil }
        return AdoptionProbe(arguments: arguments, timeout: timeout)
    }
}

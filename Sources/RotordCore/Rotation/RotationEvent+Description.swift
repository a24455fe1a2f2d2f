/// Descriptions that never show the new secret (and only a masked key), so an event or action
/// that reaches a log line, an error or a test failure message leaks nothing.
extension RotationEvent: CustomStringConvertible {
    public var description: String {
        switch self {
        case .created(let id, let key, _, let createdAt):
            "created(id: \(id), key: \(KeyMask.mask(key)), at: \(createdAt))"
        case .resume: "resume"
        case .createFailed(let f): "createFailed(\(f))"
        case .markerSearched(let ids): "markerSearched(\(ids))"
        case .markerSearchFailed(let f): "markerSearchFailed(\(f))"
        case .discarded: "discarded"
        case .discardFailed(let f): "discardFailed(\(f))"
        case .verified: "verified"
        case .verificationRefused(let reason): "verificationRefused(\(reason))"
        case .verificationUnavailable(let f): "verificationUnavailable(\(f))"
        case .published(let files): "published(\(files))"
        case .publishFailed(let f): "publishFailed(\(f))"
        case .hooksRan(let failures): "hooksRan(failures: \(failures))"
        case .probed(let failures): "probed(failures: \(failures))"
        case .nothingToRun: "nothingToRun"
        case .adminTakenIntoUse: "adminTakenIntoUse"
        case .accepted(let revoke): revoke ? "accepted(revokeOldNow)" : "accepted"
        case .oldDeleted: "oldDeleted"
        case .oldDeleteFailed(let f): "oldDeleteFailed(\(f))"
        case .unmanaged: "unmanaged"
        case .forced: "forced"
        case .abandon: "abandon"
        case .boundDates: "boundDates"
        case .narrowOldConsumers(let ids): "narrowOldConsumers(\(ids))"
        }
    }
}

extension RotationAction: CustomStringConvertible {
    public var description: String {
        switch self {
        case .create(let name, let description, let type, let group, let hub):
            "create(\(name), \"\(description)\", \(type), group \(group), hub \(hub))"
        case .findMarked(let marker): "findMarked(\(marker))"
        case .discard(let ids): "discard(\(ids))"
        case .verify(let key, _): "verify(key: \(KeyMask.mask(key)))"
        case .publish(let key, _): "publish(key: \(KeyMask.mask(key)))"
        case .runHooks: "runHooks"
        case .probe: "probe"
        case .deleteOld(let ids): "deleteOld(\(ids))"
        case .waitUntil(let date): "waitUntil(\(date))"
        case .retryAt(let date): "retryAt(\(date))"
        case .hold(let reason): "hold(\(reason))"
        case .finished(let step): "finished(\(step.rawValue))"
        }
    }
}

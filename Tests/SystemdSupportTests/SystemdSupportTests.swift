import Foundation
import Glibc
import Logging
import RotordTestKit
import SystemdSupport
import Testing

/// `sd_notify(3)` and `sd_watchdog_enabled(3)` read the process environment. Each test that sets
/// it runs in a child process of its own (a swift-testing exit test), so no other test, running in
/// parallel in this process, ever sees `NOTIFY_SOCKET` or `WATCHDOG_USEC` change.
@Suite(.timeLimit(.minutes(1)))
struct SystemdNotifierTests {
    @Test func sendsEachNotificationToTheSocket() async {
        await #expect(processExitsWith: .success) {
            let socket = try FakeNotifySocket()
            defer { socket.close() }
            setenv("NOTIFY_SOCKET", socket.path, 1)
            let notifier = SystemdNotifier()
            #expect(notifier.isActive)
            notifier.ready(status: "3 consumers, 0 due")
            #expect(socket.receive(timeout: 2) == "READY=1\nSTATUS=3 consumers, 0 due")
            notifier.status("line one\nline two")
            #expect(socket.receive(timeout: 2) == "STATUS=line one line two")
            notifier.stopping()
            #expect(socket.receive(timeout: 2) == "STOPPING=1")
            notifier.reloading()
            let reloading = try #require(socket.receive(timeout: 2))
            #expect(reloading.wholeMatch(of: /RELOADING=1\nMONOTONIC_USEC=[0-9]+/) != nil, "\(reloading)")
            notifier.extendTimeout(by: .seconds(30))
            #expect(socket.receive(timeout: 2) == "EXTEND_TIMEOUT_USEC=30000000")
            notifier.watchdogPing()
            #expect(socket.receive(timeout: 2) == "WATCHDOG=1")
            notifier.watchdogTrigger()
            #expect(socket.receive(timeout: 2) == "WATCHDOG=trigger")
            #expect(getenv("NOTIFY_SOCKET") != nil, "the environment is never unset")
        }
    }

    @Test func outsideSystemdNothingHappens() async {
        await #expect(processExitsWith: .success) {
            unsetenv("NOTIFY_SOCKET")
            let notifier = SystemdNotifier()
            #expect(!notifier.isActive)
            #expect(notifier.send("READY=1") == false)
            notifier.ready()
            notifier.watchdogPing()
        }
    }

    @Test func watchdogSettingsFromTheEnvironment() async {
        await #expect(processExitsWith: .success) {
            unsetenv("WATCHDOG_USEC")
            #expect(WatchdogSettings.fromEnvironment() == nil)
            setenv("WATCHDOG_USEC", "30000000", 1)
            setenv("WATCHDOG_PID", "\(getpid())", 1)
            let settings = WatchdogSettings.fromEnvironment()
            #expect(settings?.interval == .seconds(30))
            #expect(settings?.pingInterval == .seconds(15))
            setenv("WATCHDOG_PID", "1", 1)
            #expect(WatchdogSettings.fromEnvironment() == nil, "the watchdog is for another process")
        }
    }

    /// An exit test can fail: a child that records an issue is reported here (the parent sees it).
    @Test func aFailingChildIsSeen() async {
        await #expect(processExitsWith: .failure) {
            setenv("NOTIFY_SOCKET", "/nonexistent/notify", 1)
            exit(SystemdNotifier().send("READY=1") ? 0 : 1)
        }
    }

    @Test func gateDecisions() {
        let gate = WatchdogGate(maxStall: .seconds(30))
        let t0 = ContinuousClock.now
        #expect(gate.decide(now: t0.advanced(by: .seconds(30)), lastHeartbeat: t0) == .ping)
        #expect(
            gate.decide(now: t0.advanced(by: .seconds(45)), lastHeartbeat: t0) == .withhold(stalledFor: .seconds(45)))
        // The daemon's own loop around the gate is tested in RotordKitTests (WatchdogPingerTests).
    }
}

@Suite struct JournalFieldTests {
    @Test(arguments: [
        ("rotord_consumer", "ROTORD_CONSUMER"), ("rotord.rotation-id", "ROTORD_ROTATION_ID"), ("_private", "PRIVATE"),
        ("1st", "F_1ST"), ("message_id", "MESSAGE_ID"), ("ünïcode", "N_CODE"),
    ])
    func sanitizes(key: String, field: String) {
        #expect(JournalFieldName.sanitize(key) == field)
    }

    @Test func rejectsEmptyNames() {
        #expect(JournalFieldName.sanitize("") == nil)
        #expect(JournalFieldName.sanitize("___") == nil)
        #expect(JournalFieldName.sanitize(String(repeating: "a", count: 100))?.count == 64)
    }

    @Test func buildsTheEntry() {
        let fields = JournalLogHandler.fields(
            message: "rotation started", level: .notice, identifier: "rotord",
            metadata: [
                "message_id": "b547fb6966c14aefa6b4c2cc75d93871", "rotord_consumer": "etl", "rotord_key": "AbCd…",
                "priority": "x",
            ],
            file: "RotordKit/Driver.swift", function: "drive()", line: 42)
        #expect(fields.contains("MESSAGE=rotation started"))
        #expect(fields.contains("PRIORITY=5"))
        #expect(fields.contains("SYSLOG_IDENTIFIER=rotord"))
        #expect(fields.contains("CODE_FILE=RotordKit/Driver.swift"))
        #expect(fields.contains("CODE_LINE=42"))
        #expect(fields.contains("CODE_FUNC=drive()"))
        #expect(fields.contains("MESSAGE_ID=b547fb6966c14aefa6b4c2cc75d93871"))
        #expect(fields.contains("ROTORD_CONSUMER=etl"))
        #expect(fields.contains("ROTORD_KEY=AbCd…"))
        #expect(fields.contains("META_PRIORITY=x"), "metadata never overrides the entry's own fields")
        #expect(JournalLogHandler.priority(.error) == 3)
        #expect(JournalLogHandler.priority(.debug) == 7)
    }

    @Test func sendSucceedsWithOrWithoutJournald() {
        // libsystemd reports success when journald is not running (it drops the entry), so this can
        // only show that the call is safe and well-formed; that entries arrive, with their fields,
        // is checked where journald runs: Tests/SystemdHarness (journal-transport, journal-field-*).
        let result = JournalLogHandler.send([
            "MESSAGE=rotord test entry", "PRIORITY=7", "SYSLOG_IDENTIFIER=rotord-test",
        ])
        #expect(result == 0, "sd_journal_sendv returned \(result)")
        // A malformed entry (no '=') is refused, not sent.
        #expect(JournalLogHandler.send(["MESSAGE"]) < 0)
    }

    @Test func stderrLines() {
        let line = StderrLogHandler.format(
            level: .warning, message: "two\nlines", metadata: ["rotord_consumer": "etl", "message_id": "x"])
        #expect(line == "warning two lines rotord_consumer=etl")
    }

    @Test func journalStreamDetection() {
        // Pure: no process-wide environment is changed while other suites read it.
        #expect(!SystemdEnvironment.isStderrJournal(journalStream: nil))
        #expect(!SystemdEnvironment.isStderrJournal(journalStream: "1:2"))
        #expect(!SystemdEnvironment.isStderrJournal(journalStream: "garbage"))
        var st = stat()
        fstat(2, &st)
        #expect(SystemdEnvironment.isStderrJournal(journalStream: "\(st.st_dev):\(st.st_ino)"))
    }
}

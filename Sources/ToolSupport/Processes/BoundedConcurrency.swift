/// Runs work for many items with at most a given number at a time, as the fleet runs (`backup --all`,
/// `autorestore` of several databases) need it.
public enum BoundedConcurrency {
    /// Runs `body` for every item, at most `limit` at a time, starting them in order, and hands each result to
    /// `collect` as it finishes. No new item starts once a stop signal has arrived (``Interruption``).
    public static func run<Item: Sendable, Result: Sendable>(
        _ items: [Item], limit: Int, body: @escaping @Sendable (Item) async -> Result,
        collect: (Result) -> Void
    ) async {
        await withTaskGroup(of: Result.self) { group in
            var next = 0
            func launch() {
                guard next < items.count, Interruption.signal == nil else { return }
                let item = items[next]
                next += 1
                group.addTask { await body(item) }
            }
            for _ in 0..<min(max(limit, 1), items.count) { launch() }
            for await result in group {
                collect(result)
                launch()
            }
        }
    }
}

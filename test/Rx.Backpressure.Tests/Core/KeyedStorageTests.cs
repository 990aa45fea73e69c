using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using Rx.Backpressure.Core;

namespace Rx.Backpressure.Tests.Core;

/// <summary>
/// LatestByKey's storage on its own: its hash table keeps finding every held key while the node storage grows (the
/// buckets are a power of two, so a key's bucket is a mask of its hash) and while keys leave from either end.
/// </summary>
public sealed class KeyedStorageTests
{
    [Test]
    public void KeysWhoseHashesShareBuckets_AreEachFound_ThroughGrowth_AtACapacityThatIsNotAPowerOfTwo(
        [Values(1, 3, 1000)] int capacity,
        [Values(1, 1024, 4096)] int stride)
    {
        // Keys 0, stride, 2 × stride…: with a stride of a power of two, every key lands in bucket 0 of every table
        // size, so each lookup walks one long chain; with stride 1 they spread.
        var storage = new KeyedStorage<(int Key, int Value), int>(capacity, x => x.Key, EqualityComparer<int>.Default, usesLane: false);
        int[] keys = Enumerable.Range(0, capacity).Select(i => i * stride).ToArray();
        foreach (int key in keys)
        {
            Assert.That(storage.TryReplace((key, 0), out _), Is.False, $"key {key} is new");
            storage.Enqueue((key, 0));
        }

        foreach (int key in keys.Reverse())
        {
            Assert.That(storage.TryReplace((key, 1), out var replaced), Is.True, $"key {key} is held");
            Assert.That(replaced, Is.EqualTo((key, 0)));
        }

        Assert.That(storage.ToArray(), Is.EqualTo(keys.Select(k => (k, 1))), "replacements keep each key's place");
        Assert.That(storage.DequeueHead(), Is.EqualTo((keys[0], 1)), "the oldest key leaves first");
        if (capacity > 1)
        {
            Assert.That(storage.RemoveTail(), Is.EqualTo((keys[^1], 1)), "the newest key leaves from the tail");
        }

        int[] left = capacity > 1 ? keys[1..^1] : [];
        foreach (int key in left)
        {
            Assert.That(storage.TryReplace((key, 2), out _), Is.True, $"key {key} is still held after its neighbours left");
        }

        Assert.That(storage.TryReplace((keys[0], 3), out _), Is.False, "a key that left is new again");
        storage.Enqueue((keys[0], 3));
        Assert.That(storage.ToArray(), Is.EqualTo(left.Select(k => (k, 2)).Append((keys[0], 3))));
        storage.AssertInvariants();
    }
}
